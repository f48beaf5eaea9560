"""A mail provider posting every message ten times, and a mail server
redelivering over SMTP ten times, concurrently: one message each."""

from email_kit import SECRET, make_mail, smtp_send

from app.models import Message
from plugins.email.views import signature_for

MESSAGES = 100


def test_each_message_is_stored_once_however_often_it_arrives(app, email_settings, replay):
    raws = {
        n: bytes(make_mail(text=f"Where is order {n}?", message_id=f"<replay-{n}@customer.example>"))
        for n in range(MESSAGES)
    }

    def deliver(client, n):
        headers = {"Content-Type": "message/rfc822", "X-Helpline-Signature": "sha256=" + signature_for(SECRET, raws[n])}
        return client.post("/email/inbound", data=raws[n], headers=headers)

    codes = replay(deliver, list(raws))
    assert len(codes) == MESSAGES * 10 and set(codes) <= {200, 201}
    assert codes.count(201) <= MESSAGES  # created once; the repeats answer "duplicate"
    stored = sorted(m.external_id for m in Message.select().where(Message.direction == "inbound"))
    assert stored == sorted(f"replay-{n}@customer.example" for n in range(MESSAGES))


def test_smtp_redeliveries_store_each_message_once(app, listener, replay):
    mails = {
        n: make_mail(text=f"Refund {n}?", message_id=f"<smtp-replay-{n}@customer.example>") for n in range(MESSAGES)
    }

    def deliver(client, n):
        refused = smtp_send(listener, mails[n])
        return 250 if not refused else 550

    codes = replay(deliver, list(mails))
    assert codes == [250] * (MESSAGES * 10)
    stored = sorted(m.external_id for m in Message.select().where(Message.direction == "inbound"))
    assert stored == sorted(f"smtp-replay-{n}@customer.example" for n in range(MESSAGES))
