"""An inbound SMS, from a validated Twilio form to the database: keywords
change consent, any other message is ingested (one ticket per person), with
attribution, the autoresponder and the team alert decided in the same
transaction and sent after it commits."""

from __future__ import annotations

import dataclasses
import re

from app.plugin import (
    Attachment,
    Inbound,
    Message,
    Sender,
    Ticket,
    after_commit,
    db,
    fire,
    ingest,
    is_postgres,
    normalize_phone,
    now,
    prepare_ingest,
    stored_message,
    write_transaction,
)

from . import attribution, autoresponder, consent, keywords

# Twilio's alphanumeric sender ids: at most 11 letters, digits, spaces and
# + - _ &, at least one letter. Anything else that is not a number stays an error.
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9 +_&-]{0,10}$")


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
    sender = form["From"].strip()
    if ALPHANUMERIC_SENDER.match(sender):
        return _from_alphanumeric(sender, form)
    phone = normalize_phone(sender)
    sid = form["MessageSid"]
    keyword = keywords.match(form["Body"], settings) if not form["media"] else None
    if keyword is not None:
        return _keyword(phone, sid, keyword, form, settings)
    return _message(phone, sid, form, settings)


def _keyword(phone, sid, keyword, form, settings):
    from .tasks import send_automatic_sms

    word, action = keyword
    message_id = ticket_id = None
    with write_transaction():
        _lock_sender(phone)
        result = keywords.apply(phone, sid, word, action, name=form["ProfileName"])
        if action == keywords.HELP and not result.duplicate:
            after_commit(lambda: send_automatic_sms(phone, "help"))
        if not result.duplicate and _in_open_conversation(phone):
            # "Yes" or "Cancel" may answer an agent's question: the keyword
            # acts, and the words are kept on the conversation as a reply.
            stored = ingest(
                Inbound(
                    channel="sms",
                    external_id=sid,
                    sender=Sender(name=form["ProfileName"], phone=phone),
                    text=form["Body"],
                    meta={
                        "sms": {"to": form["To"], "segments": form["NumSegments"]},
                        "keyword": {"keyword": word, "action": action},
                    },
                )
            )
            message_id, ticket_id = stored.message.id, stored.ticket.id
    outcome = "duplicate" if result.duplicate else "keyword"
    return Received(outcome, message_id=message_id, ticket_id=ticket_id, keyword=word)


def _in_open_conversation(phone):
    """True when ``phone`` has an SMS ticket that is not closed."""
    return (
        Ticket.select()
        .where((Ticket.channel == "sms") & (Ticket.thread_key == phone) & (Ticket.status != "closed"))
        .exists()
    )


def _from_alphanumeric(sender, form):
    """A message from a sender id such as "ACME" (a carrier, a bank, a
    shipping service). It is kept on a ticket of its own sender id; nothing
    automatic answers it and keywords do not apply, because an alphanumeric
    id cannot receive messages."""
    with write_transaction():
        _lock_sender(sender)
        result = ingest(
            Inbound(
                channel="sms",
                external_id=form["MessageSid"],
                sender=Sender(name=form["ProfileName"] or sender, external_id=sender),
                text=form["Body"],
                meta={"sms": {"to": form["To"], "segments": form["NumSegments"], "alphanumeric_sender": sender}},
                attachments=_attachments(form),
            )
        )
    outcome = "duplicate" if result.duplicate else result.outcome
    return Received(outcome, message_id=result.message.id, ticket_id=result.ticket.id)


def _attachments(form):
    return [
        Attachment(filename=f"media-{i + 1}", content_type=m["content_type"], url=m["url"])
        for i, m in enumerate(form["media"])
    ]


def _message(phone, sid, form, settings):
    from .tasks import send_automatic_sms, send_new_sms_alert

    # Twilio's re-delivery of a stored MessageSid is answered from one
    # indexed read, without waiting for the write lock.
    stored = stored_message("sms", sid)
    if stored is not None:
        return Received("duplicate", message_id=stored[0], ticket_id=stored[1])
    # The attribution candidate is only read, so before the write lock: the
    # claim below is atomic, and a candidate another message of this sender
    # claimed meanwhile is simply not claimed again.
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
        attachments=_attachments(form),
    )
    # Ingest's own reads (the sender's profile) and checks, before the lock too.
    prepared = prepare_ingest(inbound)
    with write_transaction():
        _lock_sender(phone)
        # A MessageSid stored since the read above fails the unique index in
        # ingest, whose retry returns it as a duplicate before anything below
        # is claimed.
        result = ingest(inbound, prepared=prepared, unseen=True)
        if result.duplicate:
            return Received("duplicate", message_id=result.message.id, ticket_id=result.ticket.id)
        attributed = sent is not None and attribution.claim(sent, result.message.id)
        if sent is not None and not attributed:
            meta.pop("attribution")
            Message.update(meta=meta).where(Message.id == result.message.id).execute()
        if attributed:
            message, ticket, data = result.message, result.ticket, meta["attribution"]
            after_commit(lambda: fire("helpline_on_sms_attributed", message=message, ticket=ticket, attribution=data))
        # The profile is read only when the autoresponder needs its consent.
        autoreplied = (
            settings["autoresponder_enabled"]
            and consent.state(phone, result.ticket.profile.sms_consent) == consent.NEVER_ASKED
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
