"""Automatic replies: a greeting during office hours, an away message
outside them.

They are sent as automatic bot replies (``reply(author_type="bot",
automatic=kind)``), so the visitor sees them in the chat like any answer,
but they are acknowledgements, not answers: they never arm the auto-close
clock nor count as a first response (DESIGN.md §3). Loop guard: at most one
automatic reply per conversation within ``auto_reply_window_minutes``, and
none when an agent replied in the last ``agent_recent_minutes``."""

import datetime as dt
import logging

from flask_babel import gettext as _

from app.plugin import Message, ReplyRefused, customer_language, make_reason, now, reply

from .conversations import settings
from .models import Conversation
from .office_hours import is_open

log = logging.getLogger(__name__)


def agent_replied_since(ticket_id, since):
    return (
        Message.select()
        .where(
            (Message.ticket == ticket_id)
            & (Message.direction == "outbound")
            & (Message.kind == "message")
            & (Message.author_type == "agent")
            & (Message.created_at >= since)
        )
        .exists()
    )


def on_message_received(message, ticket):
    """Answer a visitor message automatically when the rules allow; returns
    the bot message or None."""
    if ticket.channel != "webchat":
        return None
    with customer_language():
        s = settings()  # a default greeting in the customer-facing language
    if not s["auto_replies"]:
        return None
    at = now()
    kind = "greeting" if is_open(s, at) else "away"
    text = (s["greeting"] if kind == "greeting" else s["away_message"]).strip()
    if not text:
        return None
    if agent_replied_since(ticket.id, at - dt.timedelta(minutes=s["agent_recent_minutes"])):
        return None
    conversation = Conversation.get_or_none(Conversation.public_id == ticket.thread_key) or Conversation.get_or_none(
        Conversation.ticket == ticket.id
    )
    if conversation is None:
        return None
    window_start = at - dt.timedelta(minutes=s["auto_reply_window_minutes"])
    # Claim the slot atomically so two messages at once get one reply.
    claimed = (
        Conversation.update(last_auto_reply_at=at)
        .where(
            (Conversation.id == conversation.id)
            & (Conversation.last_auto_reply_at.is_null() | (Conversation.last_auto_reply_at <= window_start))
        )
        .execute()
    )
    if not claimed:
        return None
    try:
        why = make_reason(
            "webchat.auto_replies",
            _("Web chat automatic reply: the greeting, sent during office hours.")
            if kind == "greeting"
            else _("Web chat automatic reply: the away message, sent outside office hours."),
            {
                "kind": kind,
                "office_hours_open": kind == "greeting",
                "timezone": s.get("timezone"),
                "one_per_minutes": s["auto_reply_window_minutes"],
            },
            "web.plugin_settings",
            {"name": "webchat"},
        )
        return reply(ticket, None, text, author_type="bot", automatic=kind, meta={"webchat_auto": kind, "why": why})
    except ReplyRefused as exc:
        log.info("web chat %s not sent on ticket %s: %s", kind, ticket.id, exc)
        return None
