"""Delivering replies. Every public reply has an outbox row; an attempt
claims the row with a lease (so two workers never send it twice), calls the
channel outside any transaction, then records the result. Failures retry
with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``."""

import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import Message, Outbox, Ticket
from ..plugins import get_plugins
from ..registry import DeliveryError, Outbound
from .response_clock import arm_on_delivery

log = logging.getLogger(__name__)


def lease():
    """How long a claimed row is left to the worker that claimed it
    (``OUTBOX_LEASE_SECONDS``): a reply claimed by a worker that died is
    attempted again once this has passed."""
    return dt.timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def schedule(channel):
    """``(max_attempts, base_seconds)``: the channel's own retry schedule
    (``Channel.retry_schedule``) or the deployment's."""
    custom = channel.retry_schedule() if channel is not None else None
    config = current_app.config
    return custom or (config["OUTBOX_MAX_ATTEMPTS"], config["OUTBOX_BACKOFF_SECONDS"])


def backoff(attempt, base=None):
    base = current_app.config["OUTBOX_BACKOFF_SECONDS"] if base is None else base
    return dt.timedelta(seconds=base * 2 ** max(attempt - 1, 0))


def attempt(outbox_id):
    """Try to deliver one outbox row now. Returns its state afterwards."""
    at = now()
    with write_transaction():
        claimed = (
            Outbox.update(attempts=Outbox.attempts + 1, next_attempt_at=at + lease())
            .where((Outbox.id == outbox_id) & (Outbox.state == "pending") & (Outbox.next_attempt_at <= at))
            .execute()
        )
    row = Outbox.get_or_none(Outbox.id == outbox_id)
    if not claimed or row is None:
        return row.state if row else None
    message = Message.get_by_id(row.message_id)
    ticket = Ticket.get_by_id(message.ticket_id)
    channel = get_plugins().channel(message.channel)
    try:
        if channel is None:
            raise DeliveryError(_("The %(channel)s channel is turned off.", channel=message.channel))
        result = channel.send(_outbound(message, ticket, row.attempts))
    except DeliveryError as exc:
        return _failed(row, message, ticket, str(exc), exc.retryable, channel)
    except Exception as exc:  # a channel bug must not lose the message
        log.exception("channel %s failed to send message %s", message.channel, message.id)
        return _failed(row, message, ticket, f"{type(exc).__name__}: {exc}", True, channel)
    with write_transaction():
        Outbox.update(state="sent", last_error=None).where(Outbox.id == row.id).execute()
        fields = {Message.delivery_state: "sent", Message.delivery_error: None, Message.attempts: row.attempts}
        if result is not None and result.external_id:
            fields[Message.external_id] = result.external_id[:255]
        if result is not None and result.meta:
            fields[Message.meta] = {**message.meta, **result.meta}
        Message.update(fields).where(Message.id == message.id).execute()
        arm_on_delivery(message, now())

        def announce():
            fresh = Message.get_by_id(message.id)
            fire("helpline_on_message_sent", message=fresh, ticket=ticket)
            publish("message.updated", {"ticket_id": ticket.id, "message_id": message.id, "delivery_state": "sent"})

        after_commit(announce)
    return "sent"


def _failed(row, message, ticket, error, retryable, channel):
    max_attempts, base = schedule(channel)
    final = not retryable or row.attempts >= max_attempts
    with write_transaction():
        Outbox.update(
            state="failed" if final else "pending",
            last_error=error[:2000],
            next_attempt_at=now() + backoff(row.attempts, base),
        ).where(Outbox.id == row.id).execute()
        Message.update(
            delivery_state="failed" if final else "queued", delivery_error=error[:2000], attempts=row.attempts
        ).where(Message.id == message.id).execute()

        def announce():
            publish(
                "message.updated",
                {
                    "ticket_id": ticket.id,
                    "message_id": message.id,
                    "delivery_state": "failed" if final else "queued",
                    "error": error[:200],
                },
            )
            if final:
                fresh = Message.get_by_id(message.id)
                fire("helpline_on_message_delivery_failed", message=fresh, ticket=ticket, error=fresh.delivery_error)

        after_commit(announce)
    log.warning(
        "delivery of message %s failed (attempt %s%s): %s",
        message.id,
        row.attempts,
        ", giving up" if final else "",
        error,
    )
    return "failed" if final else "pending"


def retry_due(limit=500):
    """Attempt every pending row whose time has come; returns how many."""
    due = [
        r.id
        for r in Outbox.select(Outbox.id)
        .where((Outbox.state == "pending") & (Outbox.next_attempt_at <= now()))
        .order_by(Outbox.next_attempt_at)
        .limit(limit)
    ]
    for outbox_id in due:
        attempt(outbox_id)
    return len(due)


def retry_now(message):
    """An agent's "retry" on a failed message: queue it again."""
    with write_transaction():
        Outbox.update(state="pending", next_attempt_at=now()).where(Outbox.message == message.id).execute()
        Message.update(delivery_state="queued").where(Message.id == message.id).execute()
    return attempt(Outbox.get(Outbox.message == message.id).id)


def _outbound(message, ticket, attempt_no):
    profile = ticket.profile
    history = [
        m.external_id
        for m in Message.select(Message.external_id)
        .where((Message.ticket == ticket) & Message.external_id.is_null(False) & (Message.id != message.id))
        .order_by(Message.id)
    ]
    return Outbound(
        message_id=message.id,
        ticket_id=ticket.id,
        channel=message.channel,
        text=message.text,
        html=message.html,
        subject=ticket.subject,
        to_name=profile.name,
        to_email=profile.email,
        to_phone=profile.phone,
        thread_key=ticket.thread_key,
        history_external_ids=history,
        attachments=list(message.attachments),
        attempt=attempt_no,
        meta=dict(message.meta),
    )
