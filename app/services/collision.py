"""Two agents on one ticket: who is viewing or typing a reply (presence over
the live event bus, never stored), and the guard against answering a
customer twice ("another agent replied while you were writing").

Presence is announced as ``ticket.presence`` events
``{ticket_id, agent_id, name, state, at}``; pages keep each agent's latest
state for a short time (``VIEWING_TTL`` / ``TYPING_TTL`` seconds) and drop it
when it is not renewed, so a crashed tab disappears by itself. An agent who
starts typing is also announced as the ``typing`` event the web chat visitor
stream already relays ("Support is typing...")."""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import JOIN

from ..clock import now, utc_iso
from ..events import publish
from ..models import Agent, Message
from . import Conflict
from .response_clock import AUTOMATIC

STATES = ("viewing", "typing", "left")
#: Seconds a page keeps showing a presence that was not renewed. Pages
#: renew "viewing" every ``HEARTBEAT`` seconds and "typing" at most every
#: few seconds while keys are pressed.
VIEWING_TTL = 45
TYPING_TTL = 8
HEARTBEAT = 20


class NewerReply(Conflict):
    """A reply was refused because another public reply reached the
    customer after the newest message the writer had seen (HTTP 409,
    code ``newer_reply``). ``newer`` is that message (author loaded)."""

    def __init__(self, newer):
        author = newer.author_agent.name if newer.author_agent_id else _("A bot")
        super().__init__(
            _(
                "%(name)s replied while you were writing. Read their reply, then send yours anyway if it still fits.",
                name=author,
            ),
            code="newer_reply",
            field="after_message_id",
        )
        self.newer = newer
        self.author = author


def announce(ticket, agent, state):
    """Tell the other agents' pages (and, for ``typing``, the ticket's web
    chat visitor) what ``agent`` is doing on ``ticket``."""
    publish(
        "ticket.presence",
        {
            "ticket_id": ticket.id,
            "agent_id": agent.id,
            "name": agent.name,
            "state": state,
            "at": utc_iso(now()),
        },
    )
    if state == "typing":
        publish("typing", {"ticket_id": ticket.id, "who": "agent", "agent_id": agent.id, "name": agent.name})


#: How many newer replies are looked at (a ticket gets a handful at most
#: between two page loads; automatic acknowledgements are skipped).
LOOKED_AT = 20


def newer_reply(ticket, agent, after_message_id):
    """The newest public reply on ``ticket`` sent after message
    ``after_message_id`` by anyone but ``agent`` (another agent, or a bot
    answering for the team), or None. Internal notes, notices, customer
    messages and automatic acknowledgements (a chat greeting, an away
    message) do not count: only answers the customer already received from
    the team. One query on the ``(ticket, id)`` index."""
    if not after_message_id:
        return None
    rows = (
        Message.select(Message, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
        .where(
            (Message.ticket == ticket.id)
            & (Message.id > after_message_id)
            & (Message.kind == "message")
            & (Message.direction == "outbound")
            & ((Message.author_agent.is_null()) | (Message.author_agent != agent.id))
        )
        .order_by(Message.id.desc())
        .limit(LOOKED_AT)
    )
    return next((m for m in rows if not (m.meta or {}).get(AUTOMATIC)), None)


def check_no_newer_reply(ticket, agent, after_message_id):
    """Raise :class:`NewerReply` when :func:`newer_reply` finds one."""
    newer = newer_reply(ticket, agent, after_message_id)
    if newer is not None:
        raise NewerReply(newer)
