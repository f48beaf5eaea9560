"""The webhooks settings pages: in a real browser (add an endpoint, copy
the secret shown once, send a test event, read the log, resend), and the
role and confirmation rules through the test client."""

import pytest
from playwright.sync_api import expect

from app.plugin import get_plugins
from plugins.webhooks import service
from plugins.webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def helpline_config():
    # The real CSRF policy, and the local receiver allowed.
    return {"WTF_CSRF_ENABLED": True, "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": True}


def test_add_an_endpoint_and_send_a_test_event(webhooks, pages, owner, receiver, assert_accessible):
    page = pages.login(owner, start="/settings/webhooks")
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_label("A ticket is assigned or unassigned").uncheck()
    page.get_by_role("button", name="Add endpoint").click()

    # The secret, in full, this once.
    secret_box = page.get_by_label("Secret", exact=True)
    expect(secret_box).to_have_value(WebhookEndpoint.get().secret)
    expect(page.get_by_text("it is not shown again")).to_be_visible()
    receiver.secret = secret_box.input_value()
    assert WebhookEndpoint.get().events == ["message.received", "ticket.created", "ticket.status_changed"]
    assert_accessible(page)

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event delivered.")).to_be_visible()
    row = page.locator("tr[data-delivery-id]")
    expect(row).to_have_count(1)
    expect(row.locator(".delivery-state")).to_have_text("succeeded")
    expect(row.locator(".delivery-status")).to_have_text("204")
    assert [e["type"] for e in receiver.events] == ["webhook.test"]
    # Shown once: now only its hint.
    expect(page.get_by_label("Secret", exact=True)).to_have_count(0)
    expect(page.locator("#endpoint-secret-hint")).to_have_text("whsec_…" + receiver.secret[-4:])
    assert_accessible(page)

    # A failed delivery, resent from the log once the receiver is fixed.
    receiver.answer(500, b"oops")
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("The test event failed; see why in the log below.")).to_be_visible()
    newest = page.locator("tr[data-delivery-id]").first
    expect(newest.locator(".delivery-status")).to_have_text("500")
    expect(newest.locator(".delivery-state")).to_contain_text("failed")
    expect(newest.locator(".delivery-state")).to_contain_text("The endpoint answered 500.")
    newest.get_by_role("button", name="Resend").click()
    expect(page.get_by_text("Delivered.")).to_be_visible()
    expect(page.locator("tr[data-delivery-id]").first.locator(".delivery-state")).to_have_text("succeeded")

    # The delivery's page shows the exact body sent.
    page.locator("tr[data-delivery-id]").first.get_by_role("link").click()
    expect(page.locator("pre.webhook-body").first).to_have_text(receiver.received[-1][1].decode())
    assert_accessible(page)


def test_rotate_and_delete_ask_first(webhooks, pages, owner, receiver):
    endpoint = service.create_endpoint(receiver.url, ["ticket.created"], actor=owner)
    page = pages.login(owner, start=f"/settings/webhooks/{endpoint.id}")
    page.get_by_role("link", name="Rotate the secret").click()
    expect(page.get_by_text("the receiving tool refuses them until")).to_be_visible()
    page.get_by_role("button", name="Yes, make a new secret").click()
    new = WebhookEndpoint.get_by_id(endpoint.id).secret
    assert new != endpoint.secret
    expect(page.get_by_label("Secret", exact=True)).to_have_value(new)
    page.get_by_role("link", name="Delete this endpoint").click()
    page.get_by_role("link", name="Cancel").click()
    assert WebhookEndpoint.select().count() == 1
    page.get_by_role("link", name="Delete this endpoint").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_text("Endpoint deleted.")).to_be_visible()
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    assert WebhookEndpoint.select().count() == 0


@pytest.mark.parametrize("role", ["manager", "support"])
def test_other_roles_are_refused_the_pages(app, webhooks, client, login, make_agent, owner, receiver, role):
    app.config["WTF_CSRF_ENABLED"] = False  # the role is what refuses here, not a missing token
    endpoint = service.create_endpoint(receiver.url, ["ticket.created"], actor=owner)
    login(client, make_agent(role=role, password=None))
    for path in ("/settings/webhooks", f"/settings/webhooks/{endpoint.id}", f"/settings/webhooks/{endpoint.id}/delete"):
        assert client.get(path).status_code == 403
    assert client.post(f"/settings/webhooks/{endpoint.id}/test").status_code == 403
    assert WebhookDelivery.select().count() == 0


def test_a_bad_address_is_explained_next_to_the_form(app, webhooks, client, login, owner):
    login(client, owner)
    app.config["WTF_CSRF_ENABLED"] = False
    answer = client.post("/settings/webhooks", data={"url": "ftp://example.com", "events": ["ticket.created"]})
    assert answer.status_code == 422
    assert "Enter a full http:// or https:// address." in answer.get_data(as_text=True)
    assert WebhookEndpoint.select().count() == 0


def test_the_pages_are_gone_while_the_plugin_is_off(app, client, login, owner):
    login(client, owner)
    get_plugins().set_enabled("webhooks", False)
    assert client.get("/settings/webhooks").status_code == 404


def test_the_log_and_the_endpoint_list_cost_the_same_queries_however_long(
    app, webhooks, client, login, owner, receiver
):
    from playhouse.test_utils import count_queries

    receiver.secret = "whsec_unused"  # every attempt answers 400: rows enough for the log
    endpoints = [service.create_endpoint(receiver.url, ["ticket.created"], actor=owner) for _ in range(2)]
    for _ in range(2):
        service.send_test(endpoints[0], actor=owner)
    login(client, owner)
    client.get("/settings/webhooks")  # warm caches (plugin state, session)

    def queries(path):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    few = (queries("/settings/webhooks"), queries(f"/settings/webhooks/{endpoints[0].id}"))
    for _ in range(6):
        endpoints.append(service.create_endpoint(receiver.url, ["ticket.created"], actor=owner))
        service.send_test(endpoints[0], actor=owner)
    many = (queries("/settings/webhooks"), queries(f"/settings/webhooks/{endpoints[0].id}"))
    assert few == many
    assert "400" in client.get(f"/settings/webhooks/{endpoints[0].id}").get_data(as_text=True)
