"""Replies go out through Twilio's REST API (a local fake), through the
core outbox with retries; only to consented profiles; never from an
alphanumeric sender id."""

import base64

import pytest
from sms_kit import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, OUR_NUMBER, PUBLIC_URL

from app.models import Message, Outbox, Ticket
from app.services.messages import ReplyRefused, refusal_for, reply
from app.services.outbox import retry_due


@pytest.fixture
def ticket(sms):
    """A ticket from a customer who opted in (and so got no autoresponse)."""
    sms.inbound("START")
    sms.inbound("Can I change my delivery address?")
    assert sms.twilio.sent == []
    return Ticket.get()


def test_reply_is_sent_through_twilio(sms, ticket, make_agent):
    message = reply(ticket, make_agent(), "Yes, send us the new address.")
    [request] = sms.twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (
        request.header("Authorization") == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    )
    assert request.form["To"] == CUSTOMER and request.form["From"] == OUR_NUMBER
    assert request.form["Body"] == "Yes, send us the new address."
    assert request.form["StatusCallback"] == PUBLIC_URL + "/sms/twilio/status"
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "sent" and stored.external_id.startswith("SM")
    assert stored.meta["sms"]["status"] == "queued"


def test_messaging_service_replaces_the_from_number(sms, ticket, make_agent):
    service = "MG" + "ab" * 16
    sms.configure(messaging_service_sid=service)
    reply(ticket, make_agent(), "Hello")
    form = sms.twilio.sent[0]
    assert form["MessagingServiceSid"] == service and "From" not in form


def test_a_500_is_retried_by_the_outbox(sms, ticket, make_agent, clock):
    sms.twilio.fail(500)
    message = reply(ticket, make_agent(), "Your parcel left the warehouse.")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "queued" and "500" in stored.delivery_error
    assert len(sms.twilio.requests) == 1
    assert retry_due() == 0  # the backoff has not passed yet
    clock.advance(seconds=30)
    assert retry_due() == 1
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "sent" and stored.attempts == 2
    assert [r.form["Body"] for r in sms.twilio.requests] == ["Your parcel left the warehouse."] * 2
    assert Outbox.get(Outbox.message == message.id).state == "sent"


def test_a_refused_number_fails_at_once(sms, ticket, make_agent, clock):
    sms.twilio.fail(400)
    message = reply(ticket, make_agent(), "Hello")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "failed" and "21211" in stored.delivery_error
    clock.advance(hours=1)
    assert retry_due() == 0 and len(sms.twilio.requests) == 1


def test_twilio_unreachable_is_retried(sms, ticket, make_agent):
    sms.configure(api_base_url="http://127.0.0.1:9")  # discard port: nothing listens
    message = reply(ticket, make_agent(), "Hello")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "queued" and "unreachable" in stored.delivery_error


def test_no_reply_without_consent(sms):
    sms.inbound("Hello")
    ticket = Ticket.get()
    refusal = refusal_for(ticket)
    assert refusal.code == "sms_no_consent" and "consented" in refusal.message
    with pytest.raises(ReplyRefused):
        reply(ticket, None, "Hi")


def test_marketing_consent_allows_replies(sms):
    sms.inbound("Hello")
    sms.consent(value="marketing")
    assert refusal_for(Ticket.get()) is None


def test_opting_out_stops_replies(sms, ticket):
    assert refusal_for(ticket) is None
    sms.inbound("STOP")
    assert refusal_for(Ticket.get_by_id(ticket.id)).code == "sms_no_consent"


def test_alphanumeric_sender_is_refused_for_the_inbox(sms, ticket):
    sms.configure(from_number="ACME")
    refusal = refusal_for(ticket)
    assert refusal.code == "sms_alphanumeric_sender" and "ACME" in refusal.message


def test_helpline_never_opens_a_conversation(sms, make_agent):
    from app.models import Profile

    profile = Profile.create(name="Never wrote", phone="+15551230042", sms_consent="marketing")
    ticket = Ticket.create(channel="sms", thread_key=profile.phone, profile=profile)
    assert refusal_for(ticket).code == "customer_must_write_first"
