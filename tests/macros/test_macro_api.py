"""The macros API: CRUD, search, pagination, sharing rules and auth."""

import pytest
from playhouse.test_utils import assert_query_count, count_queries

from app.testing.factories import refresh
from plugins.macros import service
from plugins.macros.models import Macro

URL = "/api/v1/macros"


def test_create_read_update_delete_a_personal_macro(support, as_agent):
    client = as_agent(support)
    resp = client.post(
        URL,
        json={
            "name": "  Where is my order ",
            "body": "Hi {{ customer.first_name }}",
            "actions": [{"type": "add_tags", "params": {"tags": ["shipping"]}}],
        },
    )
    assert resp.status_code == 201, resp.json
    macro = resp.json
    assert macro["name"] == "Where is my order" and macro["shared"] is False and macro["editable"] is True
    assert macro["owner"] == {"id": support.id, "name": "Sam Support"} and macro["usage_count"] == 0
    assert client.get(f"{URL}/{macro['id']}").json["body"] == "Hi {{ customer.first_name }}"
    resp = client.patch(f"{URL}/{macro['id']}", json={"body": "Hello {{ customer.first_name }}"})
    assert resp.status_code == 200 and resp.json["body"] == "Hello {{ customer.first_name }}"
    assert resp.json["actions"] == [{"type": "add_tags", "params": {"tags": ["shipping"]}}]
    assert client.delete(f"{URL}/{macro['id']}").status_code == 204
    assert client.get(f"{URL}/{macro['id']}").status_code == 404


@pytest.mark.parametrize(
    "payload, field, words",
    [
        ({"name": "x", "body": "Hi {{ customer.nickname }}"}, "body", "customer.nickname"),
        ({"name": "x", "body": "{{ customer.__class__ }}"}, "body", "not allowed"),
        ({"name": "x", "body": "{% for x in customer.name %}{% endfor %}"}, "body", "loops"),
        ({"name": "x", "actions": [{"type": "launch_rocket"}]}, "actions", "unknown action launch_rocket"),
        ({"name": "x", "actions": [{"type": "snooze", "params": {"duration": "soon"}}]}, "actions", "30m"),
        ({"name": "x", "actions": [{"type": "set_status", "params": {"status": "pending"}}]}, "actions", "status"),
        ({"name": "x", "actions": [{"type": "assign", "params": {"assignee": "9999"}}]}, "actions", "agent"),
        ({"name": "x", "actions": [{"type": "add_note", "params": {"text": "{{ nope }}"}}]}, "actions", "nope"),
        ({"name": "x"}, "body", "reply text or at least one action"),
        ({"name": "   ", "body": "Hi"}, "name", "name"),
    ],
)
def test_invalid_macros_are_refused_with_field_errors(support, as_agent, payload, field, words):
    resp = as_agent(support).post(URL, json=payload)
    assert resp.status_code == 400, resp.json
    error = resp.json["error"]
    assert field in error["fields"]
    assert words.lower() in error["message"].lower()
    assert Macro.select().count() == 0


def test_schema_errors_are_field_errors(support, as_agent):
    resp = as_agent(support).post(URL, json={"name": "x" * 101, "body": 5, "colour": "red"})
    assert resp.status_code == 422
    assert set(resp.json["error"]["fields"]) == {"name", "body", "colour"}
    resp = as_agent(support).get(URL + "?limit=5000")
    assert resp.status_code == 422 and "limit" in resp.json["error"]["fields"]


def test_login_and_an_inbox_role_are_required(client, make_agent, as_agent, make_macro, support):
    macro = make_macro(support, "Hi", body="Hello", shared=False)
    assert client.get(URL).status_code == 401
    assert client.get(URL).json["error"]["code"] == "unauthorized"
    assert client.post(URL, json={"name": "x", "body": "y"}).status_code == 401
    as_agent(make_agent(role="analyst"))
    for resp in (
        client.get(URL),
        client.post(URL, json={"name": "x", "body": "y"}),
        client.post(f"{URL}/{macro.id}/apply", json={"ticket_id": 1}),
        client.post(f"{URL}/bulk-apply", json={"macro_id": macro.id, "ticket_ids": [1]}),
    ):
        assert resp.status_code == 403
        assert resp.json["error"]["code"] == "forbidden"


def test_cookie_sessions_need_the_csrf_token(support, as_agent, app):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = as_agent(support).post(URL, json={"name": "Forged", "body": "Hi"})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "csrf_failed"
    assert Macro.select().count() == 0


def test_bearer_tokens_work(support, client):
    from app.auth import create_token

    _row, token = create_token(support, "script")
    resp = client.post(URL, json={"name": "API", "body": "Hi"}, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201


def test_support_cannot_create_or_change_shared_macros(support, manager, as_agent, make_macro):
    client = as_agent(support)
    resp = client.post(URL, json={"name": "Team reply", "body": "Hi", "shared": True})
    assert resp.status_code == 403 and "managers" in resp.json["error"]["message"]
    shared = make_macro(manager, "Team reply", body="Hi", shared=True)
    assert client.get(f"{URL}/{shared.id}").json["editable"] is False
    assert client.patch(f"{URL}/{shared.id}", json={"body": "Changed"}).status_code == 403
    assert client.delete(f"{URL}/{shared.id}").status_code == 403
    mine = make_macro(support, "Mine", body="Hi")
    assert client.patch(f"{URL}/{mine.id}", json={"shared": True}).status_code == 403
    assert refresh(shared).body == "Hi" and refresh(mine).shared is False


def test_managers_and_above_share_and_edit_shared_macros(manager, make_agent, as_agent, make_macro):
    client = as_agent(manager)
    resp = client.post(URL, json={"name": "Team reply", "body": "Hi", "shared": True})
    assert resp.status_code == 201 and resp.json["shared"] is True
    admin = make_agent(role="admin")
    client = as_agent(admin)
    resp = client.patch(f"{URL}/{resp.json['id']}", json={"body": "Hello team"})
    assert resp.status_code == 200 and resp.json["body"] == "Hello team"
    assert resp.json["owner"]["id"] == manager.id  # editing does not take ownership


def test_personal_macros_are_private(support, manager, make_agent, as_agent, make_macro):
    private = make_macro(support, "My private one", body="Hi")
    client = as_agent(manager)
    assert client.get(f"{URL}/{private.id}").status_code == 404
    assert client.patch(f"{URL}/{private.id}", json={"body": "x"}).status_code == 404
    assert client.post(f"{URL}/{private.id}/apply", json={"ticket_id": 1}).status_code == 404
    assert [m["name"] for m in client.get(URL).json["items"]] == []


def test_list_shows_own_and_shared_by_name_with_search(support, manager, make_agent, as_agent, make_macro):
    other = make_agent(role="support")
    make_macro(support, "Refund accepted", body="a")
    make_macro(support, "delivery delay", body="a")
    make_macro(manager, "Refund policy", body="a", shared=True)
    make_macro(other, "Refund (other agent)", body="a")
    client = as_agent(support)
    names = [m["name"] for m in client.get(URL).json["items"]]
    assert names == ["delivery delay", "Refund accepted", "Refund policy"]
    assert [m["name"] for m in client.get(URL + "?q=REFUND").json["items"]] == ["Refund accepted", "Refund policy"]
    assert [m["name"] for m in client.get(URL + "?shared=true").json["items"]] == ["Refund policy"]


def test_keyset_pagination_walks_every_macro_once(support, as_agent, make_macro):
    for i in range(7):
        make_macro(support, f"Macro {i % 3}", body="a")  # duplicate names: the id breaks ties
    client = as_agent(support)
    seen, cursor = [], None
    while True:
        resp = client.get(URL, query_string={"limit": 3, **({"cursor": cursor} if cursor else {})})
        seen += [m["id"] for m in resp.json["items"]]
        cursor = resp.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(m.id for m in Macro.select()) and len(seen) == 7
    assert client.get(URL + "?cursor=!!!").status_code == 400


def test_listing_is_one_query_whatever_the_number_of_macros(support, make_agent, as_agent, make_macro, app):
    owners = [make_agent(role="manager") for _ in range(5)]
    for i in range(40):
        make_macro(owners[i % 5], f"Shared {i}", body="a", shared=True)
    with assert_query_count(1):
        rows, _cursor = service.list_macros(support, limit=50)
        assert {m.owner.name for m in rows} == {o.name for o in owners}
    client = as_agent(support)
    with count_queries() as few:
        client.get(URL + "?limit=2")
    with count_queries() as many:
        assert len(client.get(URL + "?limit=40").json["items"]) == 40
    assert many.count == few.count


def test_catalog_lists_actions_and_variables(support, as_agent):
    catalog = as_agent(support).get(URL + "/catalog").json
    names = [a["name"] for a in catalog["actions"]]
    assert names == ["set_status", "snooze", "add_tags", "remove_tags", "assign", "add_note"]
    status = catalog["actions"][0]["params"][0]
    assert status == {"name": "status", "type": "string", "required": True, "choices": ["open", "closed"]}
    assert "customer.first_name" in catalog["variables"] and "organization.name" in catalog["variables"]
