"""An inbound SMS, from a validated Twilio form to the database: keywords
change consent, any other message is ingested (one ticket per person), with
attribution, the autoresponder and the team alert decided in the same
transaction and sent after it commits."""

from __future__ import annotations

import dataclasses

from app.plugin import (
    Attachment,
    Inbound,
    Message,
    Sender,
    after_commit,
    db,
    fire,
    ingest,
    is_postgres,
    normalize_phone,
    now,
    write_transaction,
)

from . import attribution, autoresponder, keywords


@dataclasses.dataclass
class Received:
    outcome: str  # keyword | created | appended | reopened | duplicate
    message_id: int | None = None
    ticket_id: int | None = None
    keyword: str | None = None
    attributed: bool = False
    autoreplied: bool = False


def _lock_sender(phone):
    """Serialize one sender's webhooks (attribution and loop-guard claims).
    SQLite's write transaction already holds the database lock."""
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"sms-sender:{phone}",))


def receive(form, settings):
    """Store one inbound SMS. ``form`` is :class:`InboundForm` output.
    Raises ``ServiceError`` for a sender number that is not one."""
    phone = normalize_phone(form["From"])
    sid = form["MessageSid"]
    keyword = keywords.match(form["Body"], settings) if not form["media"] else None
    if keyword is not None:
        return _keyword(phone, sid, keyword, form, settings)
    return _message(phone, sid, form, settings)


def _keyword(phone, sid, keyword, form, settings):
    from .tasks import send_automatic_sms

    word, action = keyword
    with write_transaction():
        _lock_sender(phone)
        result = keywords.apply(phone, sid, word, action, name=form["ProfileName"])
        if action == keywords.HELP and not result.duplicate:
            after_commit(lambda: send_automatic_sms(phone, "help"))
    return Received("duplicate" if result.duplicate else "keyword", keyword=word)


def _message(phone, sid, form, settings):
    from .tasks import send_automatic_sms, send_new_sms_alert

    with write_transaction():
        _lock_sender(phone)
        # A re-delivered MessageSid comes back from ingest as a duplicate
        # before anything below is claimed.
        sent = attribution.candidate(phone, now(), settings["attribution_window_hours"])
        meta = {"sms": {"to": form["To"], "segments": form["NumSegments"]}}
        if sent is not None:
            meta["attribution"] = attribution.as_meta(sent)
        inbound = Inbound(
            channel="sms",
            external_id=sid,
            sender=Sender(name=form["ProfileName"], phone=phone),
            text=form["Body"],
            meta=meta,
            attachments=[
                Attachment(filename=f"media-{i + 1}", content_type=m["content_type"], url=m["url"])
                for i, m in enumerate(form["media"])
            ],
        )
        result = ingest(inbound)
        if result.duplicate:
            return Received("duplicate", message_id=result.message.id, ticket_id=result.ticket.id)
        attributed = sent is not None and attribution.claim(sent, result.message.id)
        if sent is not None and not attributed:
            meta.pop("attribution")
            Message.update(meta=meta).where(Message.id == result.message.id).execute()
        if attributed:
            message, ticket, data = result.message, result.ticket, meta["attribution"]
            after_commit(lambda: fire("helpline_on_sms_attributed", message=message, ticket=ticket, attribution=data))
        profile = result.ticket.profile
        autoreplied = (
            settings["autoresponder_enabled"]
            and profile.sms_consent is None
            and autoresponder.claim(phone, settings["autoresponder_window_hours"])
        )
        ticket_id, message_id = result.ticket.id, result.message.id
        if autoreplied:
            after_commit(lambda: send_automatic_sms(phone, "autoresponder", ticket_id))
        if result.created_ticket and settings["email_alert_enabled"]:
            after_commit(lambda: send_new_sms_alert(ticket_id, message_id))
    return Received(
        result.outcome, message_id=message_id, ticket_id=ticket_id, attributed=attributed, autoreplied=autoreplied
    )
