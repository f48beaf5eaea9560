"""Twilio status callbacks update the delivery state of replies."""

import pytest
from sms_kit import new_sid

from app.models import Message, Ticket
from app.services.messages import reply


@pytest.fixture
def sent(sms, make_agent):
    sms.inbound("START")
    sms.inbound("Hi")
    message = reply(Ticket.get(), make_agent(), "Hello from the shop")
    return Message.get_by_id(message.id)


def test_delivered(sms, sent):
    assert sms.status(sent.external_id, "sent").status_code == 200
    assert sms.status(sent.external_id, "delivered").status_code == 200
    stored = Message.get_by_id(sent.id)
    assert stored.delivery_state == "sent" and stored.meta["sms"]["status"] == "delivered"


def test_failed_keeps_twilios_error(sms, sent):
    sms.status(sent.external_id, "undelivered", error_code="30003")
    stored = Message.get_by_id(sent.id)
    assert stored.delivery_state == "failed"
    assert stored.meta["sms"]["error_code"] == "30003" and "30003" in stored.delivery_error


def test_late_callbacks_never_move_the_state_back(sms, sent):
    sms.status(sent.external_id, "delivered")
    sms.status(sent.external_id, "sent")
    sms.status(sent.external_id, "queued")
    assert Message.get_by_id(sent.id).meta["sms"]["status"] == "delivered"
    sms.status(sent.external_id, "failed")
    sms.status(sent.external_id, "delivered")
    assert Message.get_by_id(sent.id).delivery_state == "failed"


def test_callbacks_are_signature_checked(sms, sent):
    response = sms.status(sent.external_id, "failed", token="forged")
    assert response.status_code == 403
    assert Message.get_by_id(sent.id).delivery_state == "sent"


def test_unknown_message_and_bad_status(sms, sent):
    assert sms.status(new_sid(), "delivered").status_code == 200
    response = sms.status(sent.external_id, "exploded")
    assert response.status_code == 400 and "MessageStatus" in response.get_json()["error"]["fields"]
