"""Issue 17: the auto-close clock arms when a reply is delivered, and a
reply that fails to deliver never arms it."""

import datetime as dt

import pytest

from app.models import Activity, Message
from app.registry import DeliveryError
from app.testing.factories import refresh
from plugins.autoclose.tasks import close_inactive_tickets


@pytest.fixture
def setup(plugins, fake_channel, api_as, client):
    plugins.set_enabled("autoclose", True)
    plugins.set_settings("autoclose", {"inactivity_days": 2})
    agent, headers = api_as("support")
    ticket = fake_channel.receive("Where is my order?", email="ann@example.net").ticket

    def reply(text):
        r = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": text}, headers=headers)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    return ticket, reply


def test_a_reply_that_fails_to_deliver_never_arms_the_clock(setup, fake_channel, clock):
    ticket, reply = setup
    fake_channel.fail_next.append(DeliveryError("mailbox unavailable", retryable=False))
    sent = reply("It ships today.")
    assert Message.get_by_id(sent["id"]).delivery_state == "failed"
    assert refresh(ticket).awaiting_customer_since is None
    clock.advance(days=10)
    assert close_inactive_tickets.call_local() == []
    assert refresh(ticket).status == "open"


def test_the_clock_arms_when_a_retried_reply_is_delivered_not_when_queued(setup, fake_channel, clock, retry_outbox):
    ticket, reply = setup
    fake_channel.fail_next.append(DeliveryError("try later", retryable=True))
    queued_at = clock.now()
    reply("It ships today.")
    assert refresh(ticket).awaiting_customer_since is None  # queued, not delivered
    clock.advance(hours=1)
    assert retry_outbox() == 1
    delivered_at = clock.now()
    assert fake_channel.sent and refresh(ticket).awaiting_customer_since == delivered_at
    # Two days after queueing is not two days after delivery.
    clock.set(queued_at + dt.timedelta(days=2, minutes=30))
    assert close_inactive_tickets.call_local() == []
    clock.set(delivered_at + dt.timedelta(days=2))
    assert close_inactive_tickets.call_local() == [ticket.id]
    armed = Activity.get((Activity.ticket == ticket.id) & (Activity.action == "clock_armed"))
    assert armed.data["delivered_at"] == delivered_at.isoformat()


def test_a_second_delivered_reply_does_not_restart_the_clock(setup, clock):
    ticket, reply = setup
    reply("Checking.")
    first = clock.now()
    clock.advance(days=1)
    reply("It ships today.")
    assert refresh(ticket).awaiting_customer_since == first
