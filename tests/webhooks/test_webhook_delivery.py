"""Outgoing webhooks end to end: real events, a real receiver that checks
each request with the docs' recipe, retries on the injected clock."""

import json

import pytest

from app.models import AuditEntry
from app.plugin import assign, get_plugins, set_status
from plugins.webhooks import delivery as sending
from plugins.webhooks import service
from plugins.webhooks.models import WebhookDelivery


def retry_due():
    return sending.retry_due()


def rows(endpoint):
    return list(WebhookDelivery.select().where(WebhookDelivery.endpoint == endpoint.id).order_by(WebhookDelivery.id))


def test_a_customer_message_reaches_the_receiver_signed(endpoint, receiver, fake_channel):
    ticket = fake_channel.receive("Where is my parcel?", email="ana@example.net", name="Ana").ticket
    assert [e["type"] for e in receiver.events] == ["ticket.created", "message.received"]
    created, received = receiver.events
    assert created["data"]["ticket"]["id"] == ticket.id
    assert received["data"]["message"]["text"] == "Where is my parcel?"
    assert received["data"]["ticket"]["customer"]["email"] == "ana@example.net"
    assert created["created_at"] == "2026-01-05T09:00:00+00:00"
    headers = receiver.received[0][0]
    assert headers["Helpline-Webhook-Event"] == "ticket.created"
    assert headers["Helpline-Webhook-Id"].startswith("dlv_")
    assert [(r.state, r.status_code, r.attempts) for r in rows(endpoint)] == [("succeeded", 204, 1)] * 2


def test_a_receiver_with_another_secret_refuses_and_the_delivery_is_retried(endpoint, receiver, fake_channel):
    receiver.secret = "whsec_not-the-one"
    fake_channel.receive("Hello")
    assert receiver.events == []
    assert len(receiver.received) == 2
    assert {(r.state, r.status_code) for r in rows(endpoint)} == {("pending", 400)}


def test_status_changes_and_assignments_are_sent(endpoint, receiver, fake_channel, make_agent):
    agent = make_agent(role="support", password=None, name="Sam")
    ticket = fake_channel.receive("Hi").ticket
    assign(ticket, agent, actor=agent)
    set_status(ticket, "closed", actor=agent)
    assigned, changed = receiver.events[2:]
    assert assigned["type"] == "ticket.assigned"
    assert assigned["data"]["new_assignee"]["name"] == "Sam"
    assert assigned["data"]["old_assignee"] is None
    assert changed["type"] == "ticket.status_changed"
    assert (changed["data"]["old_status"], changed["data"]["new_status"]) == ("open", "closed")
    assert changed["data"]["actor"]["id"] == agent.id
    assert changed["data"]["ticket"]["status"] == "closed"


def test_only_subscribed_and_enabled_endpoints_get_an_event(webhooks, receiver, owner, fake_channel):
    only_assigned = service.create_endpoint(receiver.url, ["ticket.assigned"], actor=owner)
    switched_off = service.create_endpoint(receiver.url, ["ticket.created"], enabled=False, actor=owner)
    receiver.secret = only_assigned.secret
    fake_channel.receive("Hi")
    assert receiver.received == []
    assert rows(only_assigned) == rows(switched_off) == []


def test_failed_attempts_are_retried_with_growing_waits_until_delivered(endpoint, receiver, fake_channel, clock):
    get_plugins().set_settings("webhooks", {"backoff_seconds": 60})
    endpoint = service.update_endpoint(endpoint, events=["ticket.created"])
    receiver.answer(500, b"database down", times=2)
    fake_channel.receive("Hi")
    (row,) = rows(endpoint)
    assert (row.state, row.status_code, row.attempts, row.response_excerpt) == ("pending", 500, 1, "database down")
    assert "500" in row.error
    assert retry_due() == 0  # the first retry waits a minute
    clock.advance(seconds=60)
    assert retry_due() == 1
    assert rows(endpoint)[0].attempts == 2
    clock.advance(seconds=119)
    assert retry_due() == 0  # the second waits two minutes
    clock.advance(seconds=1)
    assert retry_due() == 1
    (row,) = rows(endpoint)
    assert (row.state, row.status_code, row.attempts, row.error) == ("succeeded", 204, 3, "")
    ids = {headers["Helpline-Webhook-Id"] for headers, _, _ in receiver.received}
    assert ids == {row.uid}  # the same delivery id on every attempt
    stamps = [int(headers["Helpline-Webhook-Timestamp"]) for headers, _, _ in receiver.received]
    assert stamps[1] - stamps[0] == 60 and stamps[2] - stamps[1] == 120
    # Every attempt was genuine and carried the same event, byte for byte.
    assert len(receiver.events) == 3
    assert len({body for _, body, _ in receiver.received}) == 1


def test_a_delivery_is_failed_after_the_last_attempt_and_resend_tries_once_more(
    endpoint, receiver, fake_channel, clock, owner
):
    get_plugins().set_settings("webhooks", {"max_attempts": 2, "backoff_seconds": 10})
    endpoint = service.update_endpoint(endpoint, events=["ticket.created"])
    receiver.answer(503, times=3)
    fake_channel.receive("Hi")
    clock.advance(seconds=10)
    assert retry_due() == 1
    (row,) = rows(endpoint)
    assert (row.state, row.attempts) == ("failed", 2)
    clock.advance(days=1)
    assert retry_due() == 0
    assert service.resend(row, actor=owner) == "failed"  # one attempt, still 503
    assert rows(endpoint)[0].attempts == 3
    assert service.resend(row, actor=owner) == "succeeded"
    (row,) = rows(endpoint)
    assert (row.state, row.status_code, row.attempts) == ("succeeded", 204, 4)
    assert {headers["Helpline-Webhook-Id"] for headers, _, _ in receiver.received} == {row.uid}
    assert AuditEntry.select().where(AuditEntry.action == "webhooks.delivery_resent").count() == 2


def test_a_delivery_whose_worker_died_is_sent_after_its_claim_ends(endpoint, receiver, clock):
    # Written, then claimed by a worker that never reported back.
    event_row = WebhookDelivery.create(
        endpoint=endpoint, uid="dlv_lost", event_id="evt_lost", event_type="webhook.test", body='{"id":"evt_lost"}'
    )
    assert sending._claim(event_row.id)
    assert retry_due() == 0
    clock.advance(minutes=5)
    assert retry_due() == 1
    assert WebhookDelivery.get_by_id(event_row.id).state == "succeeded"
    assert receiver.received[-1][1] == b'{"id":"evt_lost"}'


def test_redirects_are_not_followed(endpoint, receiver, owner):
    receiver.answer(302)
    row = service.send_test(endpoint, actor=owner)
    row = WebhookDelivery.get_by_id(row.id)
    assert (row.state, row.status_code) == ("failed", 302)
    assert "Redirects are not followed" in row.error
    assert len(receiver.received) == 1  # the Location was not visited


def test_the_answer_kept_in_the_log_is_bounded(endpoint, receiver, owner):
    receiver.answer(500, b"x" * 50_000)
    row = WebhookDelivery.get_by_id(service.send_test(endpoint, actor=owner).id)
    assert row.response_excerpt == "x" * 1000


def test_an_endpoint_that_does_not_answer_in_time_fails_the_attempt(webhooks, fake_provider, owner):
    get_plugins().set_settings("webhooks", {"timeout_seconds": 1})
    fake_provider.hang(3)
    endpoint = service.create_endpoint(fake_provider.url + "/hooks", ["ticket.created"], actor=owner)
    row = WebhookDelivery.get_by_id(service.send_test(endpoint, actor=owner).id)
    assert (row.state, row.status_code) == ("failed", None)
    assert row.error == "No answer within 1 seconds."


def test_the_test_event_goes_to_a_disabled_endpoint_too(endpoint, receiver, owner):
    endpoint = service.update_endpoint(endpoint, enabled=False)
    service.send_test(endpoint, actor=owner)
    (event,) = receiver.events
    assert event["type"] == "webhook.test"
    assert event["data"]["endpoint_id"] == endpoint.id
    assert json.loads(receiver.received[0][1])["id"] == event["id"]


def test_nothing_is_sent_while_the_plugin_is_off(endpoint, receiver, fake_channel):
    get_plugins().set_enabled("webhooks", False)
    fake_channel.receive("Hi")
    assert receiver.received == []
    assert rows(endpoint) == []


# --- private destinations ------------------------------------------------------


@pytest.fixture
def private_refused(app):
    app.config["WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS"] = False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://localhost./hooks",
        "https://10.1.2.3/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[::ffff:192.168.1.1]/hooks",
        # IPv4 behind translators: NAT64 (well-known and local-use prefixes),
        # 6to4 and the old IPv4-compatible form.
        "http://[64:ff9b::7f00:1]/hooks",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[64:ff9b:1::808:808]/hooks",
        "http://[2002:a00:1::1]/hooks",
        "http://[::10.0.0.1]/hooks",
    ],
)
def test_private_addresses_are_refused_unless_the_operator_allows_them(webhooks, owner, private_refused, url):
    with pytest.raises(service.ServiceError) as refused:
        service.create_endpoint(url, ["ticket.created"], actor=owner)
    assert refused.value.code == "invalid_url"
    assert refused.value.field == "url"


@pytest.mark.parametrize("url", ["https://[64:ff9b::808:808]/hooks", "https://[2002:808:808::1]/hooks"])
def test_a_public_ipv4_address_behind_a_translator_is_accepted(webhooks, owner, private_refused, url):
    endpoint = service.create_endpoint(url, ["ticket.created"], actor=owner)
    assert endpoint.url == url


def test_an_address_that_became_private_is_refused_before_sending(endpoint, receiver, owner, app):
    app.config["WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS"] = False
    row = WebhookDelivery.get_by_id(service.send_test(endpoint, actor=owner).id)
    assert receiver.received == []
    assert row.state == "failed"
    assert "private network" in row.error


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "example.com/hooks", "https://user:pw@example.com/x", "http://:80/x"]
)
def test_only_plain_http_addresses_are_accepted(webhooks, owner, url):
    with pytest.raises(service.ServiceError) as refused:
        service.create_endpoint(url, ["ticket.created"], actor=owner)
    assert refused.value.field == "url"
