"""A malformed MIME corpus never crashes a worker and never loses the raw
message, through the webhook (byte-exact raw) and through SMTP."""

from email_kit import SECRET, malformed_corpus, smtp_send

from app.models import Message
from app.services import storage
from plugins.email.views import signature_for

CORPUS = malformed_corpus()


def raw_of(message):
    with open(storage.path_for(message.meta["raw_key"]), "rb") as fh:
        return fh.read()


def test_webhook_keeps_every_broken_message(app, client, email_settings):
    # One test over the corpus (not parametrized): a fresh app per case made
    # the PostgreSQL run too slow, and the case name is in every assertion.
    for name, raw in CORPUS:
        response = client.post("/email/inbound", data=raw, headers={"X-Helpline-Signature": signature_for(SECRET, raw)})
        assert response.status_code in (200, 201), (name, response.get_data(as_text=True))
        assert response.json["outcome"] == "created", name
        message = Message.get(Message.external_id == response.json["message_id"][:255])
        assert raw_of(message) == raw, name
        assert message.ticket_id == response.json["ticket_id"], name
        # The agent sees something readable (or can download the original).
        assert message.text.strip() or message.attachments, name
        assert isinstance(message.html, str) and isinstance(message.ticket.subject, str), name
    assert Message.select().count() == len(CORPUS)


def test_generated_message_id_is_stable(app, client, email_settings):
    name, raw = next(item for item in CORPUS if item[0] == "missing_message_id")
    for _ in range(2):
        client.post("/email/inbound", data=raw, headers={"X-Helpline-Signature": signature_for(SECRET, raw)})
    [message] = Message.select()
    assert message.meta["generated_message_id"] is True


def test_parse_problems_are_recorded(app, client, email_settings):
    name, raw = next(item for item in CORPUS if item[0] == "unknown_charset")
    client.post("/email/inbound", data=raw, headers={"X-Helpline-Signature": signature_for(SECRET, raw)})
    message = Message.get()
    assert "Qapla" in message.text
    assert message.meta["parse_problems"]


SMTP_SAFE = [(n, r) for n, r in CORPUS if n not in ("huge_headers", "binary_junk")]


def test_smtp_listener_survives_the_corpus(app, listener):
    for name, raw in SMTP_SAFE:
        smtp_send(listener, raw)
    assert Message.select().count() == len(SMTP_SAFE)
    for message in Message.select():
        assert raw_of(message)


def test_smtp_listener_answers_binary_junk_without_dying(app, listener):
    name, raw = next(item for item in CORPUS if item[0] == "binary_junk")
    try:
        smtp_send(listener, raw)
    except Exception as exc:  # an SMTP-level refusal of a line too long is fine
        assert "500" in str(exc) or "Line too long" in str(exc)
    # The listener still works afterwards.
    smtp_send(listener, next(r for n, r in CORPUS if n == "no_headers"))
    assert Message.select().where(Message.text.contains("just a body")).count() == 1
