"""The follow-up email: one email with the replies a visitor did not see.

Sent when all hold: the visitor gave an email, the visitor left (stream
closed for ``PAGE_CHANGE_SECONDS``, or heartbeat older than
``presence_ttl_seconds``), an agent replied
after the visitor's last message, more than ``followup_delay_minutes``
passed since that message, and the replies are newer than what the visitor
was shown and than the last follow-up. The conversation's
``followup_through_message_id`` is claimed before sending, so the same
replies are never mailed twice, even by two sweeps at once.

A sent follow-up leaves a notice in the ticket's thread and a
``followup_sent`` activity entry, both with the structured reason (rule
``webchat.followup``: when the visitor left, their last message, the
delay, which replies were mailed), as every automatic action does."""

import datetime as dt
import logging
from email.message import EmailMessage

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import JOIN, fn

from app.plugin import (
    Agent,
    Message,
    Ticket,
    add_notice,
    customer_language,
    hook,
    make_reason,
    now,
    write_transaction,
)

from .conversations import settings
from .models import Conversation, FollowupEmail

log = logging.getLogger(__name__)

# How long after the last stream closed a visitor counts as gone.
PAGE_CHANGE_SECONDS = 30


def _unseen_reply():
    """Correlated condition: an agent reply the visitor has not seen."""
    return Message.select(Message.id).where(
        (Message.ticket == Ticket.id)
        & (Message.direction == "outbound")
        & (Message.kind == "message")
        & (Message.author_type == "agent")
        & (Message.id > Ticket.last_inbound_message_id)
        & (Message.id > Conversation.last_delivered_message_id)
        & (Message.id > Conversation.followup_through_message_id)
    )


def due(at=None, limit=200):
    """Conversations owed a follow-up now (one set-based query)."""
    at = at or now()
    s = settings()
    quiet_since = at - dt.timedelta(minutes=s["followup_delay_minutes"])
    seen_before = at - dt.timedelta(seconds=s["presence_ttl_seconds"])
    # A closed stream is a page change for a moment (the next page of the
    # shop reconnects within a second or two), not yet a visitor who left.
    left_before = at - dt.timedelta(seconds=PAGE_CHANGE_SECONDS)
    gone = (
        (Conversation.left_at.is_null(False) & (Conversation.left_at < left_before))
        | Conversation.last_seen_at.is_null()
        | (Conversation.last_seen_at < seen_before)
    )
    return list(
        Conversation.select(Conversation, Ticket)
        .join(Ticket)
        .where(
            Conversation.visitor_email.is_null(False)
            & gone
            & (Ticket.last_customer_message_at < quiet_since)
            & fn.EXISTS(_unseen_reply())
        )
        .order_by(Conversation.id)
        .limit(limit)
    )


def _replies_for(conversations):
    """Unseen agent replies per conversation id, in one query."""
    if not conversations:
        return {}
    by_ticket = {c.ticket_id: c for c in conversations}
    floor = min(min(c.last_delivered_message_id, c.followup_through_message_id) for c in conversations)
    rows = (
        Message.select(Message, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
        .where(
            Message.ticket.in_(list(by_ticket))
            & (Message.direction == "outbound")
            & (Message.kind == "message")
            & (Message.author_type == "agent")
            & (Message.id > floor)
        )
        .order_by(Message.id)
    )
    found = {c.id: [] for c in conversations}
    for message in rows:
        c = by_ticket[message.ticket_id]
        if message.id > max(
            c.last_delivered_message_id, c.followup_through_message_id, c.ticket.last_inbound_message_id or 0
        ):
            found[c.id].append(message)
    return found


def build_email(conversation, replies):
    """The follow-up email for ``replies`` (Message rows, oldest first), in
    the organization's customer-facing language."""
    with customer_language():
        return _build_email(conversation, replies)


def _build_email(conversation, replies):
    s = settings()
    msg = EmailMessage()
    msg["To"] = conversation.visitor_email
    msg["Subject"] = _("New reply to your chat: %(title)s", title=s["title"])
    lines = [
        _("Hello %(name)s,", name=conversation.visitor_name) if conversation.visitor_name else _("Hello,"),
        "",
        _("You left the chat before you could read our answer:"),
        "",
    ]
    for message in replies:
        who = message.author_agent.first_name if message.author_agent_id else _("Support")
        lines += [f"{who}:", message.text, ""]
    if conversation.page_url:
        lines += [_("You can continue the chat here: %(url)s", url=conversation.page_url), ""]
    lines.append(_("Reply to this email if you prefer to continue by email."))
    msg.set_content("\n".join(lines))
    return msg


def send_due(at=None):
    """Send every follow-up that is due; returns how many were sent."""
    at = at or now()
    candidates = due(at)
    replies = _replies_for(candidates)
    sent = 0
    for conversation in candidates:
        unseen = replies.get(conversation.id) or []
        if not unseen:
            continue
        if _send_one(conversation, unseen, at):
            sent += 1
    return sent


def _send_one(conversation, unseen, at):
    old, last = conversation.followup_through_message_id, unseen[-1].id
    claimed = (
        Conversation.update(followup_through_message_id=last)
        .where((Conversation.id == conversation.id) & (Conversation.followup_through_message_id == old))
        .execute()
    )
    if not claimed:  # another sweep took it
        return False
    try:
        accepted = hook().helpline_send_email(message=build_email(conversation, unseen))
    except Exception:
        log.exception("follow-up email for web chat conversation %s failed", conversation.id)
        accepted = None
    if not accepted:
        # Give it back: the next sweep tries again (e.g. once email is set up).
        (
            Conversation.update(followup_through_message_id=old)
            .where((Conversation.id == conversation.id) & (Conversation.followup_through_message_id == last))
            .execute()
        )
        log.info("follow-up email for conversation %s not sent: no email sender accepted it", conversation.id)
        return False
    with write_transaction():
        FollowupEmail.create(
            conversation=conversation,
            to_email=conversation.visitor_email,
            first_message_id=unseen[0].id,
            last_message_id=last,
            message_count=len(unseen),
            sent_at=at,
        )
        add_notice(
            conversation.ticket,
            ngettext(
                "Follow-up email sent to %(email)s with %(num)d reply the visitor did not see.",
                "Follow-up email sent to %(email)s with %(num)d replies the visitor did not see.",
                len(unseen),
                email=conversation.visitor_email,
            ),
            meta={"webchat_followup": True, "why": explain(conversation, unseen, at)},
            activity="followup_sent",
        )
    return True


def explain(conversation, unseen, at):
    """Why this follow-up went out: the visitor left (when, or since when
    nothing was heard from them), their last message and the delay that
    passed since, and the agent replies they had not seen."""
    s = settings()
    last = conversation.ticket.last_customer_message_at
    return make_reason(
        "webchat.followup",
        ngettext(
            "Web chat follow-up: the visitor left the chat without seeing %(num)d agent reply; their last message "
            "was at %(when)s UTC, more than %(minutes)d minutes before, so the reply was emailed to %(email)s.",
            "Web chat follow-up: the visitor left the chat without seeing %(num)d agent replies; their last message "
            "was at %(when)s UTC, more than %(minutes)d minutes before, so the replies were emailed to %(email)s.",
            len(unseen),
            when=last.strftime("%Y-%m-%d %H:%M"),
            minutes=s["followup_delay_minutes"],
            email=conversation.visitor_email,
        ),
        {
            "to": conversation.visitor_email,
            # Left: the stream closed (left_at), or no heartbeat since last_seen_at.
            "left_at": conversation.left_at,
            "last_seen_at": conversation.last_seen_at,
            "last_customer_message_at": last,
            "delay_minutes": s["followup_delay_minutes"],
            "reply_message_ids": [m.id for m in unseen],
            "sent_at": at,
        },
        "web.plugin_settings",
        {"name": "webchat"},
    )
