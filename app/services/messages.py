"""Agent-side messages: replies (delivered through the outbox), internal
notes (never delivered) and system notices."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from peewee import JOIN

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Agent, Message, Outbox, Ticket
from ..plugins import get_plugins, hook
from ..registry import Refusal
from . import Conflict, ServiceError
from .html import preview, sanitize, text_to_html
from .reasons import KEY as WHY
from .response_clock import AUTOMATIC


class ReplyRefused(Conflict):
    """The channel (or a policy plugin) refuses the reply: HTTP 409."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message, code=refusal.code)
        self.refusal = refusal


def refusal_for(ticket) -> Refusal | None:
    """Why a public reply on this ticket is refused now, or None."""
    plugins = get_plugins()
    channel = plugins.channel(ticket.channel)
    if channel is None:
        return Refusal(
            "channel_unavailable",
            _("The %(channel)s channel is turned off, so replies cannot be sent.", channel=ticket.channel),
        )
    has_customer_message = (
        Message.select()
        .where((Message.ticket == ticket) & (Message.direction == "inbound") & (Message.author_type == "customer"))
        .exists()
    )
    if not has_customer_message:
        return Refusal(
            "customer_must_write_first", _("The customer has not written on this ticket; they must message first.")
        )
    answer = hook().helpline_can_reply(ticket=ticket, channel=channel)
    return answer if isinstance(answer, Refusal) else None


def _check_text(text, html):
    if not (text or "").strip() and not (html or "").strip():
        raise ServiceError(_("The message is empty."), code="empty", field="text")
    limit = current_app.config["MAX_MESSAGE_TEXT"]
    if len(text or "") > limit:
        raise ServiceError(
            _("The message is longer than %(limit)d characters.", limit=limit), code="too_large", field="text"
        )


def reply(
    ticket: Ticket,
    author: Agent | None,
    text: str,
    html: str | None = None,
    author_type: str = "agent",
    attachments=(),
    meta=None,
    automatic: str | None = None,
) -> Message:
    """Queue a public reply on the ticket's channel. Raises ReplyRefused.

    ``automatic`` names an automatic acknowledgement (``"greeting"``): it
    is delivered like any reply but is not a first response and never arms
    the auto-close clock (see :mod:`app.services.response_clock`); a real
    reply arms the clock when it is delivered. A reason in ``meta["why"]``
    (:func:`app.services.reasons.make`) is copied to the ``replied``
    activity entry."""
    _check_text(text, html)
    refusal = refusal_for(ticket)
    if refusal is not None:
        raise ReplyRefused(refusal)
    at = now()
    meta = dict(meta or {})
    if automatic:
        meta[AUTOMATIC] = automatic
    with write_transaction():
        ticket = Ticket.get_by_id(ticket.id)
        message = Message.create(
            ticket=ticket,
            channel=ticket.channel,
            direction="outbound",
            kind="message",
            author_type=author_type,
            author_agent=author,
            text=text or "",
            html=sanitize(html) if html else text_to_html(text),
            attachments=list(attachments),
            delivery_state="queued",
            meta=meta,
            created_at=at,
        )
        outbox = Outbox.create(message=message, next_attempt_at=at, created_at=at)
        fields = {Ticket.updated_at: at}
        channel = get_plugins().channel(ticket.channel)
        if not getattr(channel, "preview_from_customer", False):
            fields[Ticket.last_message_preview] = preview(text, 200)
        if ticket.first_response_at is None and not automatic:
            fields[Ticket.first_response_at] = at
        Ticket.update(fields).where(Ticket.id == ticket.id).execute()
        data = {"message_id": message.id}
        if meta.get(WHY):
            # An automatic reply's reason is on its activity entry too, so
            # the ticket's Automatic actions card and the API list it.
            data[WHY] = meta[WHY]
        Activity.create(ticket=ticket, actor=author, action="replied", data=data, created_at=at)
        _announce(message, ticket)

        def deliver_later():
            from ..jobs import deliver

            deliver(outbox.id)

        after_commit(deliver_later)
    return message


MENTION = re.compile(r"@([\w.+-]+@[\w-]+\.[\w.-]+|[\w.-]+)")


def mentioned_agents(text):
    """Agents named in a note as ``@email`` or ``@firstname``."""
    handles = {h.lower() for h in MENTION.findall(text or "")}
    if not handles:
        return []
    found = []
    for agent in Agent.select().where(Agent.is_active == True):
        if agent.email.lower() in handles or agent.first_name.lower() in handles:
            found.append(agent)
    return found


def add_note(ticket: Ticket, author: Agent, text: str, html: str | None = None) -> Message:
    """An internal note: visible to agents only, never delivered, and it does
    not touch the auto-close clock."""
    _check_text(text, html)
    at = now()
    mentions = mentioned_agents(text)
    with write_transaction():
        message = Message.create(
            ticket=ticket,
            channel=ticket.channel,
            direction="outbound",
            kind="note",
            author_type="agent",
            author_agent=author,
            text=text,
            html=sanitize(html) if html else text_to_html(text),
            meta={"mentions": [a.id for a in mentions]} if mentions else {},
            created_at=at,
        )
        Ticket.update(updated_at=at).where(Ticket.id == ticket.id).execute()
        Activity.create(ticket=ticket, actor=author, action="noted", data={"message_id": message.id}, created_at=at)
        _announce(message, ticket)

        def notify():
            for agent in mentions:
                publish(
                    "mention",
                    {
                        "agent_id": agent.id,
                        "ticket_id": ticket.id,
                        "message_id": message.id,
                        "by": author.name if author else "",
                    },
                )

        after_commit(notify)
    return message


def add_notice(
    ticket: Ticket, text: str, meta=None, activity: str | None = None, actor: Agent | None = None
) -> Message:
    """A system line in the thread ("Ticket closed due to inactivity").

    ``activity`` names an activity entry written with the notice, in the
    same transaction, by ``actor`` (None: a rule). Its ``data`` holds the
    notice's ``message_id`` and, when ``meta`` has one, the same reason
    (``why``, see :mod:`app.services.reasons`), so an automatic action is
    in the ticket's activity trail and its "Automatic actions" card."""
    at = now()
    meta = dict(meta or {})
    with write_transaction():
        message = Message.create(
            ticket=ticket,
            channel=ticket.channel,
            direction="outbound",
            kind="notice",
            author_type="system",
            text=text,
            html=text_to_html(text),
            meta=meta,
            created_at=at,
        )
        if activity:
            data = {"message_id": message.id}
            if meta.get(WHY):
                data[WHY] = meta[WHY]
            Activity.create(ticket=ticket, actor=actor, action=activity, data=data, created_at=at)
        _announce(message, ticket)
    return message


def _announce(message, ticket):
    def run():
        fresh = Ticket.get_by_id(ticket.id)
        fire("helpline_on_message_created", message=message, ticket=fresh)
        publish(
            "message.created",
            {"ticket_id": ticket.id, "message_id": message.id, "direction": message.direction, "kind": message.kind},
        )

    after_commit(run)


def thread(ticket, limit=50, before=None):
    """The last ``limit`` messages (oldest first), older than message id
    ``before`` when given; and whether older ones remain."""
    query = (
        Message.select(Message, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
        .where(Message.ticket == ticket)
    )
    if before:
        query = query.where(Message.id < before)
    rows = list(query.order_by(Message.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    return list(reversed(rows[:limit])), more
