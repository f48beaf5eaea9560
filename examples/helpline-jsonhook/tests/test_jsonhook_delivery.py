"""Replies: signed POSTs to the provider, retried through the core's
outbox while the provider is down or slow, failed at once when refused."""

import json

import pytest
from app.plugin import Message, Ticket, reply

from helpline_jsonhook import signing
from helpline_jsonhook.models import JsonHookAttempt


@pytest.fixture
def ticket(jsonhook):
    answer = jsonhook.post(jsonhook.message("Hello?", message_id="in-1", conversation="conv-9", email="pat@x.org"))
    return Ticket.get_by_id(answer.get_json()["ticket_id"])


def _attempts(message):
    rows = JsonHookAttempt.select().where(JsonHookAttempt.message_id == message.id).order_by(JsonHookAttempt.id)
    return [(row.attempt, row.status) for row in rows]


def test_a_reply_is_posted_signed_to_the_provider(jsonhook, ticket, make_agent):
    message = reply(ticket, make_agent(), "It ships tomorrow.")
    (request,) = jsonhook.provider.requests
    assert request.method == "POST" and request.path == "/messages"
    assert signing.is_valid(jsonhook.secret, request.body, request.header(signing.HEADER))
    assert request.header("Idempotency-Key") == f"helpline-{message.id}"
    sent = json.loads(request.body)
    assert sent["conversation_id"] == "conv-9" and sent["text"] == "It ships tomorrow."
    assert sent["recipient"]["name"] == "Pat Buyer"
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "sent" and stored.external_id == "fake-1"
    assert _attempts(message) == [(1, 200)]


def test_a_provider_that_is_down_gets_the_reply_later(jsonhook, ticket, make_agent, clock, retry_outbox):
    jsonhook.provider.fail(503)
    message = reply(ticket, make_agent(), "Sorry for the wait.")
    assert Message.get_by_id(message.id).delivery_state == "queued"
    assert retry_outbox() == 0  # not before the backoff has passed
    clock.advance(minutes=5)
    assert retry_outbox() == 1
    assert Message.get_by_id(message.id).delivery_state == "sent"
    first, second = jsonhook.provider.requests
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key")
    assert [json.loads(r.body)["attempt"] for r in (first, second)] == [1, 2]
    assert _attempts(message) == [(1, 503), (2, 200)]


def test_a_slow_provider_times_out_and_is_tried_again(jsonhook, ticket, make_agent, clock, retry_outbox):
    jsonhook.configure(timeout_seconds=0.2)
    jsonhook.provider.hang(5)
    message = reply(ticket, make_agent(), "Checking now.")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "queued" and "Timeout" in stored.delivery_error
    assert _attempts(message) == [(1, None)]
    clock.advance(minutes=5)
    retry_outbox()
    assert Message.get_by_id(message.id).delivery_state == "sent"


def test_a_refused_reply_fails_at_once_with_the_reason(jsonhook, ticket, make_agent, clock, retry_outbox):
    jsonhook.provider.fail(400, message="unknown conversation")
    message = reply(ticket, make_agent(), "Hello again.")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "failed" and "400" in stored.delivery_error
    clock.advance(hours=1)
    assert retry_outbox() == 0
    assert len(jsonhook.provider.requests) == 1
