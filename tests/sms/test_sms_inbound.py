"""Inbound SMS webhooks: signatures, validation, idempotency, MMS, one
ticket per person and reopening."""

from sms_kit import CUSTOMER, PUBLIC_URL, new_sid
from twilio.request_validator import HMAC_SHA256

from app.models import Message, Ticket
from app.services.messages import refusal_for
from app.services.tickets import close


def _tickets():
    return list(Ticket.select().where(Ticket.channel == "sms").order_by(Ticket.id))


def test_signed_message_becomes_a_ticket_and_twilio_gets_empty_twiml(sms):
    response = sms.inbound("Hi, my order #1001 has not arrived")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert "<Response></Response>" in response.get_data(as_text=True)
    [ticket] = _tickets()
    assert ticket.thread_key == CUSTOMER and ticket.profile.phone == CUSTOMER
    [message] = list(ticket.messages.where(Message.direction == "inbound"))
    assert message.text == "Hi, my order #1001 has not arrived" and message.author_type == "customer"


def test_unsigned_webhook_is_refused_and_stores_nothing(sms):
    response = sms.client.post(
        "/sms/twilio/inbound", data={"MessageSid": new_sid(), "From": CUSTOMER, "Body": "forged"}
    )
    assert response.status_code == 403
    assert Message.select().count() == 0


def test_signature_with_another_token_is_refused(sms):
    response = sms.inbound("forged", token="not-the-auth-token")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert Message.select().count() == 0


def test_signature_over_other_parameters_is_refused(sms):
    params = {"MessageSid": new_sid(), "From": CUSTOMER, "Body": "original"}
    from sms_kit import AUTH_TOKEN
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/sms/twilio/inbound", params)
    tampered = {**params, "Body": "tampered"}
    response = sms.client.post("/sms/twilio/inbound", data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_signature_is_checked_against_the_public_url_behind_a_proxy(sms):
    # Signed for the URL this request really arrived on, not the public one: refused.
    assert sms.inbound("Hi", url="http://localhost/sms/twilio/inbound").status_code == 403
    # Without a public URL configured, the request's own URL is what Twilio signed.
    sms.configure(public_url="")
    assert sms.inbound("Hi", url="http://localhost/sms/twilio/inbound").status_code == 200


def test_shared_key_signatures_with_hmac_sha256(sms):
    sms.configure(webhook_shared_key="shared-key-secret")
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    ok = sms.inbound("Signed with the shared key", token="shared-key-secret", headers=headers, algorithm=HMAC_SHA256)
    assert ok.status_code == 200
    wrong = sms.inbound("Auth token under shared-key settings", headers=headers, algorithm=HMAC_SHA256)
    assert wrong.status_code == 403
    assert [m.text for m in Message.select().where(Message.direction == "inbound")] == ["Signed with the shared key"]


def test_unconfigured_channel_refuses_webhooks(sms):
    sms.configure(auth_token="")
    response = sms.inbound("Hello")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_configured"


def test_invalid_fields_get_field_errors(sms):
    response = sms.inbound("x" * 1601)
    assert response.status_code == 400
    assert "Body" in response.get_json()["error"]["fields"]
    response = sms.inbound("Hi", sid="not-a-sid")
    assert "MessageSid" in response.get_json()["error"]["fields"]
    response = sms.inbound("Hi", phone="call me maybe")
    assert response.status_code == 400
    assert "phone" in response.get_json()["error"]["fields"]
    assert Message.select().count() == 0


def test_oversized_request_is_refused(sms):
    response = sms.inbound("Hi", extra={"Padding": "x" * 70_000})
    assert response.status_code == 413


def test_twilio_retries_are_stored_once(sms):
    sid = new_sid()
    assert sms.inbound("Only once", sid=sid).status_code == 200
    assert sms.inbound("Only once", sid=sid).status_code == 200
    assert Message.select().where(Message.external_id == sid).count() == 1
    assert len(_tickets()) == 1


def test_mms_media_are_kept_as_attachment_metadata(sms):
    media = [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "application/pdf"),
    ]
    assert sms.inbound("Photo of the damage", sid=new_sid("MM"), media=media).status_code == 200
    message = Message.get(Message.direction == "inbound")
    assert [(a["url"], a["content_type"]) for a in message.attachments] == media


def test_media_url_must_be_a_url(sms):
    response = sms.inbound("x", media=[("javascript:alert(1)", "image/png")])
    assert response.status_code == 400
    assert "MediaUrl0" in response.get_json()["error"]["fields"]


def test_one_ticket_per_person(sms):
    sms.inbound("First")
    sms.inbound("Second")
    sms.inbound("Someone else", phone="+15551239999")
    tickets = _tickets()
    assert len(tickets) == 2
    mine = Ticket.get(Ticket.thread_key == CUSTOMER)
    inbound = mine.messages.where(Message.direction == "inbound").order_by(Message.id)
    assert [m.text for m in inbound] == ["First", "Second"]


def test_the_same_number_written_differently_is_the_same_person(sms):
    sms.inbound("First", phone="+1 (555) 123-0001")
    sms.inbound("Second", phone=CUSTOMER)
    assert len(_tickets()) == 1


def test_a_later_message_reopens_the_closed_ticket(sms):
    sms.inbound("Help please")
    [ticket] = _tickets()
    close(ticket)
    sms.inbound("Me again")
    [reopened] = _tickets()
    assert reopened.id == ticket.id and reopened.status == "open" and reopened.reopen_count == 1


def test_disabled_plugin_answers_404(sms):
    sms.plugins.set_enabled("sms", False)
    assert sms.inbound("Hello").status_code == 404


def test_a_message_from_an_alphanumeric_sender_id_is_stored_and_not_answered(sms):
    sms.set_core(support_email="help@example.com")
    response = sms.inbound("Your parcel 1Z999 was delivered", phone="UPS")
    assert response.status_code == 200
    assert sms.inbound("Your parcel 1Z998 is on its way", phone="UPS").status_code == 200
    [ticket] = _tickets()
    assert ticket.thread_key == "UPS" and ticket.profile.phone is None
    texts = [m.text for m in ticket.messages.where(Message.direction == "inbound").order_by(Message.id)]
    assert texts == ["Your parcel 1Z999 was delivered", "Your parcel 1Z998 is on its way"]
    assert sms.twilio.sent == []  # no autoresponder to an id that cannot receive
    assert refusal_for(ticket).code == "sms_no_phone"
    assert sms.inbound("Parcel held at depot", phone="DHL_Express").status_code == 200
    assert [t.thread_key for t in _tickets()] == ["UPS", "DHL_Express"]
