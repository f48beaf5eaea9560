"""Inbound messages become tickets: the core applies the channel's routing
policy (DESIGN.md §3) and keeps the customer-activity clock fields. The
conversation is the channel's ``thread_key(inbound)``; the customer is found
by identity (:mod:`app.services.identities`).

``ingest`` is idempotent on ``(channel, external_id)``, also under
concurrency: on PostgreSQL transaction-scoped advisory locks serialize work
on the same thread and message id; on SQLite the write transaction takes the
database lock up front. A unique index is the last line of defence, and a
losing racer retries and finds the winner's message.
"""

from __future__ import annotations

import dataclasses

import peewee
from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import db, is_postgres, write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Message, Ticket
from ..plugins import get_plugins
from . import ServiceError
from .contacts import normalize_email, normalize_phone
from .html import preview, sanitize, text_to_html
from .profiles import find_or_create


class ChannelUnavailable(ServiceError):
    """The message's channel is unknown or its plugin is disabled (HTTP 404):
    nothing was stored.
    """

    status = 404


@dataclasses.dataclass
class IngestResult:
    """What :func:`ingest` did: the stored ``message`` and its ``ticket``,
    and whether the message was a ``duplicate`` (seen before: nothing
    changed), ``created_ticket`` or ``reopened`` one. ``outcome`` names
    it in one word: duplicate, created, reopened or appended.
    """

    message: Message
    ticket: Ticket
    duplicate: bool = False
    created_ticket: bool = False
    reopened: bool = False

    @property
    def outcome(self):
        if self.duplicate:
            return "duplicate"
        if self.created_ticket:
            return "created"
        return "reopened" if self.reopened else "appended"


def ingest(inbound, attempts=5):
    """Store a customer message and route it to a ticket. Returns an
    :class:`IngestResult`; a message seen before returns the stored one."""
    plugins = get_plugins()
    channel = plugins.channel(inbound.channel)
    if channel is None:
        raise ChannelUnavailable(
            _("Channel %(slug)s is not available.", slug=inbound.channel), code="channel_unavailable"
        )
    if not inbound.external_id:
        raise ServiceError(
            _("An inbound message needs an external id."), code="missing_external_id", field="external_id"
        )
    limit = current_app.config["MAX_MESSAGE_TEXT"]
    if len(inbound.text or "") > limit:
        raise ServiceError(
            _("The message is longer than %(limit)d characters.", limit=limit), code="too_large", field="text"
        )
    # Addresses are normalized before the channel keys the thread, so
    # "(415) 555-0101" and "+14155550101" are one conversation.
    inbound.sender.phone = normalize_phone(inbound.sender.phone) if inbound.sender.phone else None
    inbound.sender.email = normalize_email(inbound.sender.email)
    thread_key = str(channel.thread_key(inbound) or "")[:255] or inbound.external_id[:255]
    for attempt in range(attempts):
        try:
            return _ingest_once(channel, inbound, thread_key)
        except peewee.IntegrityError:
            if attempt == attempts - 1:
                raise
            # A concurrent ingest created the message or profile first; the
            # next attempt sees it.


def _lock(*keys):
    if is_postgres():
        for key in sorted(set(keys)):
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


def _ingest_once(channel, inbound, thread_key):
    with write_transaction():
        _lock(f"msg:{inbound.channel}:{inbound.external_id}", f"thread:{inbound.channel}:{thread_key}")
        existing = (
            Message.select(Message, Ticket)
            .join(Ticket)
            .where((Message.channel == inbound.channel) & (Message.external_id == inbound.external_id))
            .first()
        )
        if existing is not None:
            return IngestResult(existing, existing.ticket, duplicate=True)

        profile = find_or_create(inbound.sender, source=inbound.channel)
        ticket = _route(channel, inbound, thread_key)
        at = now()
        created = reopened = False
        old_status = None
        if ticket is None:
            ticket = Ticket.create(
                channel=inbound.channel,
                thread_key=thread_key,
                profile=profile,
                subject=(inbound.subject or "")[:255],
                created_at=at,
                updated_at=at,
            )
            created = True
        elif ticket.status != "open":
            old_status = ticket.status
            ticket.status = "open"
            ticket.snoozed_until = None
            if old_status == "closed":
                ticket.closed_at = None
                ticket.closed_reason = None
                ticket.reopen_count += 1
                ticket.reopened_at = at
                reopened = True
        html = sanitize(inbound.html) if inbound.html else text_to_html(inbound.text)
        message = Message.create(
            ticket=ticket,
            channel=inbound.channel,
            direction="inbound",
            kind="message",
            author_type="customer",
            text=inbound.text or "",
            html=html,
            attachments=[a.as_dict() if hasattr(a, "as_dict") else dict(a) for a in inbound.attachments],
            external_id=inbound.external_id[:255],
            meta=dict(inbound.meta or {}),
            created_at=at,
        )
        ticket.last_customer_message_at = at
        ticket.awaiting_customer_since = None  # a customer message disarms auto-close
        ticket.updated_at = at
        ticket.last_message_preview = preview(inbound.text or inbound.subject, 200)
        ticket.last_inbound_message_id = message.id
        if not ticket.subject and inbound.subject:
            ticket.subject = inbound.subject[:255]
        ticket.save()
        if created:
            Activity.create(ticket=ticket, action="created", data={"channel": inbound.channel}, created_at=at)
        elif old_status:
            Activity.create(
                ticket=ticket,
                action="reopened" if reopened else "opened",
                data={"by": "customer_message", "from": old_status},
                created_at=at,
            )

        def announce():
            if created:
                fire("helpline_on_ticket_created", ticket=ticket)
            if old_status:
                fire(
                    "helpline_on_ticket_status_changed",
                    ticket=ticket,
                    old_status=old_status,
                    new_status="open",
                    reason="customer_message",
                    actor=None,
                )
            fire("helpline_on_message_received", message=message, ticket=ticket)
            publish(
                "message.created",
                {"ticket_id": ticket.id, "message_id": message.id, "direction": "inbound", "kind": "message"},
            )
            publish("ticket.created" if created else "ticket.updated", _ticket_event(ticket))
            if created or (reopened and ticket.assignee_id is None):
                from .assignment import auto_assign

                auto_assign(ticket)

        after_commit(announce)
    return IngestResult(message, ticket, created_ticket=created, reopened=reopened)


def _route(channel, inbound, thread_key):
    """The ticket this message belongs to, or None for a new ticket."""
    ticket = None
    if inbound.ticket_hint:
        ticket = Ticket.get_or_none((Ticket.id == inbound.ticket_hint) & (Ticket.channel == inbound.channel))
    if ticket is None and inbound.related_external_ids:
        related = [str(x)[:255] for x in inbound.related_external_ids if x][:100]
        hit = (
            Message.select(Message.ticket)
            .where((Message.channel == inbound.channel) & (Message.external_id.in_(related)))
            .order_by(Message.id.desc())
            .first()
        )
        if hit is not None:
            ticket = Ticket.get_by_id(hit.ticket_id)
            if ticket.channel != inbound.channel:  # merged into another channel's ticket
                ticket = None
    if ticket is None:
        ticket = (
            Ticket.select()
            .where((Ticket.channel == inbound.channel) & (Ticket.thread_key == thread_key))
            .order_by(Ticket.id.desc())
            .first()
        )
    if ticket is not None and ticket.status == "closed" and ticket.closed_reason == "merged":
        ticket = _merge_target(ticket, inbound.channel)
    if ticket is not None and ticket.status == "closed" and not channel.reopens_closed:
        return None
    return ticket


def _merge_target(ticket, channel):
    """Where a message for merged ``ticket`` goes: the ticket it was merged
    into (following merges of merges) when that is on the same channel, so
    the conversation continues where its messages went instead of reopening
    an empty ticket; None (a new ticket) when the merge crossed channels,
    since replies there would leave by another channel."""
    from .merge import merged_into

    for _hop in range(10):
        if ticket.status != "closed" or ticket.closed_reason != "merged":
            return ticket
        target = merged_into(ticket)
        if target is None:  # the merge was undone: the ticket is itself again
            return ticket
        if target.channel != channel:
            return None
        ticket = target
    return None


def _ticket_event(ticket):
    return {
        "ticket_id": ticket.id,
        "status": ticket.status,
        "assignee_id": ticket.assignee_id,
        "channel": ticket.channel,
    }
