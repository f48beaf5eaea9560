"""The macros page without a browser: who may see and change what, and form
errors shown next to the form."""

from plugins.macros.models import Macro


def test_page_needs_an_inbox_role(client, make_agent, as_agent):
    resp = client.get("/macros")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    as_agent(make_agent(role="analyst"))
    assert client.get("/macros").status_code == 403


def test_support_sees_shared_macros_but_cannot_edit_them(support, manager, as_agent, make_macro):
    shared = make_macro(manager, "Team reply", body="Hi", shared=True)
    mine = make_macro(support, "My reply", body="Hello")
    client = as_agent(support)
    page = client.get("/macros").get_data(as_text=True)
    assert "Team reply" in page and "My reply" in page
    assert f"/macros/{mine.id}" in page and f'/macros/{shared.id}"' not in page
    assert client.get(f"/macros/{shared.id}").status_code == 403
    assert client.post(f"/macros/{shared.id}/delete").status_code == 403
    assert "Share with the team" not in client.get("/macros/new").get_data(as_text=True)


def test_form_errors_keep_what_was_typed(support, as_agent):
    client = as_agent(support)
    resp = client.post(
        "/macros/new",
        data={
            "name": "Refund",
            "body": "Hi {{ customer.nick }}",
            "action_type": ["add_tags", ""],
            "action_value": ["refund", ""],
        },
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "customer.nick" in page and 'value="refund"' in page and "Hi {{ customer.nick }}" in page
    assert Macro.select().count() == 0
    resp = client.post(
        "/macros/new",
        data={
            "name": "Refund",
            "body": "Hi {{ customer.first_name }}",
            "action_type": ["add_tags", "snooze"],
            "action_value": ["refund, vip", "2d"],
        },
    )
    assert resp.status_code == 302
    macro = Macro.get()
    assert macro.actions == [
        {"type": "add_tags", "params": {"tags": ["refund", "vip"]}},
        {"type": "snooze", "params": {"duration": "2d"}},
    ]
    client.post(f"/macros/{macro.id}/delete")
    assert Macro.select().count() == 0
