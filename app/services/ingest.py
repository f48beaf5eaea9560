"""Inbound messages become tickets: the core applies the channel's routing
policy (DESIGN.md §3) and keeps the customer-activity clock fields. The
conversation is the channel's ``thread_key(inbound)``; the customer is found
by identity (:mod:`app.services.identities`).

``ingest`` is idempotent on ``(channel, external_id)``, also under
concurrency: a message seen before is found by one indexed read before any
write lock is taken; on PostgreSQL transaction-scoped advisory locks
serialize work on the same thread and message id (and the check is repeated
under them); on SQLite the write transaction takes the database lock up
front. A unique index is the last line of defence, and a losing racer
retries and finds the winner's message.
"""

from __future__ import annotations

import dataclasses

import peewee
from flask import current_app
from flask_babel import gettext as _

from .. import rowsql
from ..clock import now
from ..db import ShapedStatement, db, is_postgres, write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Message, Ticket
from ..plugins import get_plugins
from . import ServiceError
from .contacts import normalize_email, normalize_phone
from .html import preview, sanitize, text_to_html
from .profiles import find_or_create_found, lookup


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


def prepare(inbound):
    """Do ingest's work that needs no write lock for ``inbound``: check it,
    normalize the sender's addresses, key the thread, sanitize the HTML and
    look the sender up. :func:`ingest` does it itself; a channel that calls
    ``ingest`` inside a write transaction of its own (to store more rows
    with the message) calls this before that transaction and passes the
    answer as ``ingest(inbound, prepared=...)``, so the lock is not held
    for it. Raises what :func:`ingest` raises for bad input."""
    return _prepare(inbound, look_up=True)


def _prepare(inbound, look_up):
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
    return Prepared(
        inbound=inbound,
        channel=channel,
        thread_key=str(channel.thread_key(inbound) or "")[:255] or inbound.external_id[:255],
        html=sanitize(inbound.html) if inbound.html else text_to_html(inbound.text),
        attachments=[a.as_dict() if hasattr(a, "as_dict") else dict(a) for a in inbound.attachments],
        preview=preview(inbound.text or inbound.subject, 200),
        sender=lookup(inbound.sender, source=inbound.channel) if look_up else None,
    )


def ingest(inbound, attempts=5, prepared=None, unseen=False):
    """Store a customer message and route it to a ticket. Returns an
    :class:`IngestResult`; a message seen before returns the stored one.
    ``prepared`` is :func:`prepare`'s answer for this ``inbound``, when the
    caller did that work before its own write transaction. ``unseen=True``
    says the caller has just read that no message of this channel and
    external id is stored (a channel's own re-delivery check, made before
    it parses anything), so the first attempt does not read it again: a
    message stored since fails the unique index, and the retry finds it."""
    if prepared is None or prepared.inbound is not inbound:
        prepared = _prepare(inbound, look_up=False)  # a re-delivery is found before the sender is
    for attempt in range(attempts):
        if attempt or not unseen:
            seen = _seen(inbound)
            if seen is not None:
                return seen
        if attempt or prepared.sender is None:
            # Who the sender is, read before the write lock (a message from a
            # known sender then writes no profile row at all); a profile
            # deleted or an identity taken meanwhile fails a constraint and
            # the next attempt reads again.
            prepared.sender = lookup(inbound.sender, source=inbound.channel)
        try:
            return _ingest_once(prepared.channel, inbound, prepared.thread_key, prepared)
        except peewee.IntegrityError:
            if attempt == attempts - 1:
                raise
            # A concurrent ingest created the message or profile first; the
            # next attempt sees it.


def _lock(*keys):
    if is_postgres():
        for key in sorted(set(keys)):
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


@dataclasses.dataclass
class Prepared:
    """What :func:`prepare` did for one inbound message, before any lock."""

    inbound: object
    channel: object
    thread_key: str
    html: str
    attachments: list
    preview: str
    sender: tuple | None  # (profile or None, what matched): identities.lookup's answer


# The hot reads of every inbound message, their SQL text built once.
_STORED = ShapedStatement(
    lambda shape, values: (
        Message.select(Message.id, Message.ticket)
        .where((Message.channel == values["channel"]) & (Message.external_id == values["external_id"]))
        .limit(1)
        .tuples()
    )
)
_LATEST_IN_THREAD = ShapedStatement(
    lambda shape, values: (
        Ticket.select()
        .where((Ticket.channel == values["channel"]) & (Ticket.thread_key == values["thread_key"]))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
)


_TICKET_ON_CHANNEL = ShapedStatement(
    lambda _shape, v: Ticket.select().where((Ticket.id == v["id"]) & (Ticket.channel == v["channel"])).limit(1)
)
# Built once per number of related ids (an email's In-Reply-To and References).
_OF_RELATED = ShapedStatement(
    lambda _shape, v: (
        Ticket.select()
        .join(Message, on=(Message.ticket == Ticket.id))
        .where((Message.channel == v["channel"]) & (Message.external_id.in_(v["related"])))
        .order_by(Message.id.desc())
        .limit(1)
    )
)


def stored(channel, external_id):
    """``(message id, ticket id)`` of the message ``channel`` stored under
    the provider's ``external_id``, or None: one indexed read, for a
    channel's re-delivery check before it parses or locks anything (then
    ``ingest(inbound, unseen=True)``)."""
    return _STORED.first(None, {"channel": channel, "external_id": str(external_id)[:255]})


def _seen(inbound):
    """The duplicate result for a message stored before, else None: one
    narrow indexed read, then the stored message and ticket only on a hit."""
    hit = stored(inbound.channel, inbound.external_id)
    if hit is None:
        return None
    existing = Message.select(Message, Ticket).join(Ticket).where(Message.id == hit[0]).get()
    return IngestResult(existing, existing.ticket, duplicate=True)


def _ingest_once(channel, inbound, thread_key, prepared):
    with write_transaction():
        if is_postgres():
            _lock(f"msg:{inbound.channel}:{inbound.external_id}", f"thread:{inbound.channel}:{thread_key}")
            # A racer holding the same message id may have committed it while
            # this one waited on the lock. (On SQLite the write lock was free
            # just before the check in ingest(); a message stored in between
            # fails the unique index and the retry finds it.)
            seen = _seen(inbound)
            if seen is not None:
                return seen

        profile = find_or_create_found(inbound.sender, source=inbound.channel, found=prepared.sender)
        ticket = _route(channel, inbound, thread_key)
        at = now()
        created = reopened = False
        old_status = None
        if ticket is None:
            ticket = rowsql.insert(
                Ticket,
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
        message = rowsql.insert(
            Message,
            ticket=ticket,
            channel=inbound.channel,
            direction="inbound",
            kind="message",
            author_type="customer",
            text=inbound.text or "",
            html=prepared.html,
            attachments=prepared.attachments,
            external_id=inbound.external_id[:255],
            meta=dict(inbound.meta or {}),
            created_at=at,
        )
        ticket.last_customer_message_at = at
        ticket.awaiting_customer_since = None  # a customer message disarms auto-close
        ticket.updated_at = at
        ticket.last_message_preview = prepared.preview
        ticket.last_inbound_message_id = message.id
        if not ticket.subject and inbound.subject:
            ticket.subject = inbound.subject[:255]
        rowsql.save_dirty(ticket)
        if created:
            rowsql.insert(Activity, ticket=ticket, action="created", data={"channel": inbound.channel}, created_at=at)
        elif old_status:
            rowsql.insert(
                Activity,
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
        ticket = _TICKET_ON_CHANNEL.first(None, {"id": int(inbound.ticket_hint), "channel": inbound.channel})
    if ticket is None and inbound.related_external_ids:
        related = [str(x)[:255] for x in inbound.related_external_ids if x][:100]
        # The ticket of the latest related message, in one query.
        ticket = _OF_RELATED.first(None, {"channel": inbound.channel, "related": related})
        if ticket is not None and ticket.channel != inbound.channel:  # merged into another channel's ticket
            ticket = None
    if ticket is None:
        ticket = _LATEST_IN_THREAD.first(None, {"channel": inbound.channel, "thread_key": thread_key})
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
