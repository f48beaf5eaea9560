"""Inbound webhooks: signed, validated, bounded, idempotent."""

import pytest
from app.plugin import Message, Profile, Ticket, get_plugins

from helpline_jsonhook import signing


def _inbound_count():
    return Message.select().where((Message.channel == "jsonhook") & (Message.direction == "inbound")).count()


def test_a_signed_message_becomes_a_ticket_and_a_repeat_stores_nothing(jsonhook):
    first = jsonhook.post(jsonhook.message("Where is my parcel?", message_id="m-1"))
    assert first.status_code == 200
    body = first.get_json()
    assert body["duplicate"] is False
    ticket = Ticket.get_by_id(body["ticket_id"])
    assert ticket.channel == "jsonhook" and ticket.status == "open"
    assert Message.get_by_id(body["message_id"]).text == "Where is my parcel?"

    again = jsonhook.post(jsonhook.message("Where is my parcel?", message_id="m-1"))
    assert again.status_code == 200
    assert again.get_json() == {**body, "duplicate": True}
    assert _inbound_count() == 1


def test_one_conversation_is_one_ticket_and_one_sender_one_customer(jsonhook):
    a1 = jsonhook.post(jsonhook.message("First", message_id="a1", conversation="c-a")).get_json()
    a2 = jsonhook.post(jsonhook.message("Second", message_id="a2", conversation="c-a")).get_json()
    assert a1["ticket_id"] == a2["ticket_id"]
    other = jsonhook.message("Elsewhere", message_id="b1", conversation="c-b")
    other["sender"]["id"] = "user-c-a"  # the same person in another conversation
    b1 = jsonhook.post(other).get_json()
    assert b1["ticket_id"] != a1["ticket_id"]
    assert Ticket.get_by_id(b1["ticket_id"]).profile_id == Ticket.get_by_id(a1["ticket_id"]).profile_id


def test_bad_or_missing_signatures_are_refused(jsonhook):
    payload = jsonhook.message()
    assert jsonhook.post(payload, secret="another-secret-entirely").status_code == 401
    assert jsonhook.post(payload, signature="").status_code == 401
    signed_for_other_body = jsonhook.post(payload, signature=signing.sign(jsonhook.secret, b"{}"))
    assert signed_for_other_body.status_code == 401
    refused = jsonhook.post(payload, signature="sha256=00")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "bad_signature"
    assert _inbound_count() == 0


def test_without_a_secret_nothing_is_accepted(jsonhook):
    get_plugins().set_settings("jsonhook", {"secret": ""})
    answer = jsonhook.post(jsonhook.message(), secret="")
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "not_configured"
    assert _inbound_count() == 0


def test_invalid_bodies_are_answered_with_the_fields(jsonhook):
    missing = jsonhook.message()
    del missing["text"]
    answer = jsonhook.post(missing)
    assert answer.status_code == 422 and "text" in answer.get_json()["error"]["fields"]

    nul = jsonhook.post(jsonhook.message("bad\x00text"))
    assert nul.status_code == 422 and "text" in nul.get_json()["error"]["fields"]

    long_id = jsonhook.post(jsonhook.message(message_id="m" * 256))
    assert long_id.status_code == 422 and "message_id" in long_id.get_json()["error"]["fields"]

    no_sender_id = jsonhook.message()
    del no_sender_id["sender"]["id"]
    fields = jsonhook.post(no_sender_id).get_json()["error"]["fields"]
    assert "id" in fields["sender"]

    assert jsonhook.post(None, raw=b"not json").status_code == 400
    assert jsonhook.post(None, raw=b"[" * 50000 + b"]" * 50000).status_code == 400
    assert jsonhook.post(["a", "list"]).status_code == 422
    assert _inbound_count() == 0


def test_oversized_bodies_are_refused(jsonhook):
    big = jsonhook.message("x" * (300 * 1024))
    answer = jsonhook.post(big)
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "too_large"
    assert _inbound_count() == 0


def test_unknown_fields_are_ignored(jsonhook):
    payload = {**jsonhook.message(), "provider_extra": {"anything": [1, 2]}}
    assert jsonhook.post(payload).status_code == 200


def test_an_unverified_address_never_reaches_another_customer(jsonhook):
    owner = Profile.create(name="Real Owner", email="owner@example.com")
    claim = jsonhook.message(message_id="m-claim", conversation="c-claim", email="owner@example.com")
    ticket = Ticket.get_by_id(jsonhook.post(claim).get_json()["ticket_id"])
    assert ticket.profile_id != owner.id

    jsonhook.configure(contacts_verified=True)
    vouched = jsonhook.message(message_id="m-vouched", conversation="c-vouched", email="owner@example.com")
    vouched["sender"]["id"] = "another-user"
    ticket = Ticket.get_by_id(jsonhook.post(vouched).get_json()["ticket_id"])
    assert ticket.profile_id == owner.id


def test_the_route_is_gone_while_the_plugin_is_off(jsonhook):
    get_plugins().set_enabled("jsonhook", False)
    assert jsonhook.post(jsonhook.message()).status_code == 404
    assert _inbound_count() == 0


class TestUnderADefaultRateLimit:
    """An operator's default limit for every route (``RATELIMIT_DEFAULT``)
    never refuses the signed webhook: a provider may not send a refused
    message again."""

    @pytest.fixture
    def helpline_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}

    def test_a_burst_is_stored_whole(self, jsonhook):
        answers = [jsonhook.post(jsonhook.message(f"text {n}", message_id=f"burst-{n}")).status_code for n in range(5)]
        assert answers == [200] * 5
        assert _inbound_count() == 5
