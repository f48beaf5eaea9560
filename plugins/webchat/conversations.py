"""Visitor-side domain logic: conversations, signed visitor tokens,
messages in and out, typing and presence. Views translate HTTP to these
calls; tests and the benchmark call them too."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import JOIN

from app.plugin import (
    Agent,
    Denied,
    IdentityTaken,
    Inbound,
    Message,
    NotFound,
    Sender,
    ServiceError,
    Ticket,
    browser_language,
    customer_language,
    get_plugins,
    ingest,
    link_identity,
    now,
    publish,
    resolve_profile,
    utc_iso,
    write_transaction,
)

from . import identity as signed
from .models import Conversation
from .office_hours import is_open

log = logging.getLogger(__name__)

PLUGIN = "webchat"
TOKEN_SALT = "helpline.webchat.visitor"
TOKEN_MAX_AGE = 30 * 24 * 3600
MAX_SUCCESSORS = 50


class Unauthorized(ServiceError):
    status = 401


def settings():
    """The web chat settings with defaults."""
    return get_plugins().get_settings(PLUGIN)


def new_id(nbytes=16):
    return secrets.token_urlsafe(nbytes)


def ensure_site_key():
    """The first site key, generated and stored when there is none yet."""
    keys = settings()["site_keys"]
    if keys:
        return keys[0]
    key = "wc_" + new_id(18)
    get_plugins().set_settings(PLUGIN, {"site_keys": [key]})
    return key


def check_site_key(key):
    if not key or key not in settings()["site_keys"]:
        raise Denied(_("Unknown site key."), code="unknown_site_key", field="key")


def widget_config(key):
    """What the widget shows before a conversation starts."""
    check_site_key(key)
    # The visitor's browser language when we have it, else the
    # organization's customer-facing language.
    with customer_language(browser_language()):
        s = settings()
        return _config(s)


def _config(s):
    return {
        "title": s["title"],
        "color": s["color"],
        "text_color": s["text_color"],
        "available": is_open(s, now()),
        "labels": widget_labels(),
    }


def widget_labels():
    """The widget's texts, translated on the server like every other string."""
    return {
        "close": _("Close chat"),
        "conversation": _("Conversation"),
        "name": _("Your name (optional)"),
        "email": _("Your email (optional)"),
        "message": _("Message"),
        "placeholder": _("Write a message..."),
        "send": _("Send"),
        "available": _("We are online"),
        "away": _("We are away, leave a message"),
        "typing": _("Support is typing..."),
        "team": _("Support"),
        "bot": _("Automatic reply"),
        "closed": _("This chat was closed. Write again to start a new one."),
        "failed": _("Your message could not be sent."),
        # "{n}" is replaced by the widget with the number of unread replies.
        "unread": _("{n} unread"),
        "new_reply": _("New reply in the chat"),
    }


# --- tokens -----------------------------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_token(conversation):
    """A signed token granting access to this one conversation."""
    return _serializer().dumps({"c": conversation.public_id, "v": conversation.visitor_id})


def conversation_for(token, public_id):
    """The conversation ``public_id`` if ``token`` grants it; raises
    Unauthorized (no or bad token) or Denied (another conversation's)."""
    if not token:
        raise Unauthorized(_("A visitor token is required."), code="token_required")
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise Unauthorized(_("The chat session expired; start a new chat."), code="token_expired")
    except BadSignature:
        raise Unauthorized(_("The visitor token is not valid."), code="token_invalid")
    if not isinstance(data, dict) or data.get("c") != public_id:
        raise Denied(_("This token does not grant access to that conversation."), code="forbidden")
    conversation = Conversation.get_or_none(Conversation.public_id == public_id)
    if conversation is None:
        raise NotFound(_("No such conversation."), code="not_found")
    return conversation


# --- conversations ------------------------------------------------------------


def start(key, name="", email=None, page_url="", visitor_id=None, identity=None):
    """Start a conversation for a visitor of site ``key``; returns
    ``(conversation, token)``. Its ticket is created by the first message.

    ``identity`` is the storefront's signature of its logged-in customer (a
    loaded ``schemas.SignedIdentity``): verified here (an error when it is
    not valid), it makes the chat that customer's. A signed email replaces
    the typed one; without a signed email the typed one stays a claim."""
    check_site_key(key)
    verified = signed.verify(identity, settings()) if identity else None
    name = (name or "").strip()[:200]
    email = (email or "").strip().lower()[:254] or None
    email_verified = bool(verified and verified.email)
    if email_verified:
        email = verified.email
    if verified is not None and verified.customer_id:
        _attach_customer(verified, name, None if email_verified else email)
    public_id = new_id()
    conversation = Conversation.create(
        public_id=public_id,
        chain_id=public_id,
        visitor_id=visitor_id or new_id(12),
        site_key=key,
        visitor_name=name,
        visitor_email=email,
        email_verified=email_verified,
        customer_id=verified.customer_id if verified is not None else None,
        page_url=(page_url or "")[:500],
        created_at=now(),
        last_seen_at=now(),
    )
    return conversation, make_token(conversation)


def customer_identity(customer_id):
    """The web chat identity a signed customer id is kept as (ingest finds
    the customer's profile by it)."""
    return f"customer:{settings()['customer_id_source']}:{customer_id}"


def _attach_customer(verified, name, claimed_email):
    """Find (or create) the profile of a signed customer id, by the merchant's
    customer id source (e.g. the ``shopify`` ids the Shopify plugin stores)
    then by the signed email, and link the chat identity to it."""
    with write_transaction():
        profile = resolve_profile(
            settings()["customer_id_source"],
            verified.customer_id,
            email=verified.email,
            name=name,
            verified_contact=True,
        )
        try:
            link_identity(profile, PLUGIN, customer_identity(verified.customer_id))
        except IdentityTaken:
            # Held by the profile an agent merged it into: ingest finds that one.
            log.info("web chat customer identity already linked elsewhere; keeping that profile")
        if claimed_email:
            link_identity(profile, "email", claimed_email, verified=False)
    return profile


def sender(conversation):
    """Who writes in ``conversation``, as ingest should find them: a signed
    customer by their verified identity, else the anonymous visitor by their
    visitor id (a typed email is only a claim)."""
    if conversation.customer_id:
        return Sender(
            name=conversation.visitor_name,
            email=conversation.visitor_email if conversation.email_verified else None,
            external_id=customer_identity(conversation.customer_id),
            verified_contact=True,
        )
    if conversation.email_verified:
        return Sender(name=conversation.visitor_name, email=conversation.visitor_email, verified_contact=True)
    return Sender(
        name=conversation.visitor_name,
        email=conversation.visitor_email,
        external_id=visitor_identity(conversation.visitor_id),
        verified_contact=False,
    )


def _successor(conversation):
    """A new conversation continuing ``conversation`` after its ticket closed
    (race-safe: the first writer's successor wins)."""
    for _attempt in range(3):
        with write_transaction():
            fresh = Conversation.create(
                public_id=new_id(),
                chain_id=conversation.chain_id,
                visitor_id=conversation.visitor_id,
                site_key=conversation.site_key,
                visitor_name=conversation.visitor_name,
                visitor_email=conversation.visitor_email,
                email_verified=conversation.email_verified,
                customer_id=conversation.customer_id,
                page_url=conversation.page_url,
                created_at=now(),
                last_seen_at=now(),
            )
            claimed = (
                Conversation.update(successor=fresh)
                .where((Conversation.id == conversation.id) & Conversation.successor.is_null())
                .execute()
            )
            if claimed:
                return fresh
            fresh.delete_instance()
        conversation = Conversation.get_by_id(conversation.id)
        if conversation.successor_id:
            return Conversation.get_by_id(conversation.successor_id)
    raise ServiceError(_("Could not start a new conversation, try again."), code="busy")


def current(conversation):
    """The conversation to write to: follows successors, and starts one when
    the latest conversation's ticket is closed (web chat never reopens)."""
    for _step in range(MAX_SUCCESSORS):
        if conversation.successor_id:
            conversation = Conversation.get_by_id(conversation.successor_id)
            continue
        if conversation.ticket_id is not None:
            status = Ticket.select(Ticket.status).where(Ticket.id == conversation.ticket_id).scalar()
            if status == "closed":
                conversation = _successor(conversation)
                continue
        return conversation
    raise ServiceError(_("Too many conversations; start a new chat."), code="too_many")


def external_id(conversation, client_id):
    """Unique per conversation chain, so a resend after a switch to a new
    conversation still finds the first copy. Not per visitor id: that one
    comes from the browser and proves nothing."""
    return f"wc:{conversation.chain_id}:{client_id}"


def visitor_identity(visitor_id):
    """The identity (source ``webchat``) a visitor id is kept as: a digest.
    The id is a secret in the visitor's browser that lets whoever holds it
    continue as that visitor, so it is never shown to agents or answered by
    the API."""
    return hashlib.sha256(f"{TOKEN_SALT}:{visitor_id}".encode()).hexdigest()[:32]


def post_message(conversation, client_id, text):
    """Ingest a visitor message (idempotent on ``client_id``). Returns
    ``(message, conversation)``; the conversation differs from the one given
    when the previous one was closed (the widget switches to it)."""
    ext = external_id(conversation, client_id)
    existing = Message.get_or_none((Message.channel == PLUGIN) & (Message.external_id == ext))
    if existing is not None:
        owner = Conversation.get_or_none(
            (Conversation.ticket == existing.ticket_id) & (Conversation.chain_id == conversation.chain_id)
        )
        return existing, owner or conversation
    target = current(conversation)
    inbound = Inbound(
        channel=PLUGIN,
        external_id=ext,
        text=text,
        ticket_hint=target.ticket_id,
        sender=sender(target),
        meta={"conversation": target.public_id, "client_id": client_id},
    )
    result = ingest(inbound)
    ticket_id = result.ticket.id
    if target.ticket_id is None:
        (
            Conversation.update(ticket=ticket_id)
            .where((Conversation.id == target.id) & Conversation.ticket.is_null())
            .execute()
        )
        target = Conversation.get_by_id(target.id)
    if target.ticket_id != ticket_id:
        # The ticket was closed between our check and the ingest: the message
        # opened a new ticket, give it its own conversation.
        owner = Conversation.get_or_none(Conversation.ticket == ticket_id)
        if owner is None:
            owner = _successor(target)
            (
                Conversation.update(ticket=ticket_id)
                .where((Conversation.id == owner.id) & Conversation.ticket.is_null())
                .execute()
            )
            owner = Conversation.get_by_id(owner.id)
        target = owner
    return result.message, target


def public_messages(ticket_id, after=0, limit=200):
    """Messages the visitor may see (theirs and public replies; never notes
    or system notices), oldest first, with ids above ``after``."""
    if ticket_id is None:
        return []
    query = (
        Message.select(Message, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(Message.author_agent == Agent.id))
        .where(
            (Message.ticket == ticket_id)
            & (Message.id > after)
            & (Message.kind == "message")
            & (
                ((Message.direction == "inbound") & (Message.author_type == "customer"))
                | (Message.direction == "outbound")
            )
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [serialize(m) for m in query]


def serialize(message):
    if message.direction == "inbound":
        author, name = "visitor", ""
        client_id = (message.meta or {}).get("client_id")
    else:
        author = "bot" if message.author_type == "bot" else "agent"
        agent = message.author_agent if message.author_agent_id else None
        name = agent.first_name if agent is not None else ""
        client_id = None
    return {
        "id": message.id,
        "from": author,
        "name": name,
        "text": message.text,
        "client_id": client_id,
        "at": utc_iso(message.created_at),
    }


def mark_delivered(conversation_id, message_id):
    """The visitor has been shown messages up to ``message_id``."""
    (
        Conversation.update(last_delivered_message_id=message_id)
        .where((Conversation.id == conversation_id) & (Conversation.last_delivered_message_id < message_id))
        .execute()
    )


# --- typing and presence ---------------------------------------------------------


def visitor_typing(conversation):
    """Record the visitor's typing for ``typing_ttl_seconds`` (time-based
    rules wait for a typist) and tell the agents."""
    if conversation.ticket_id is None:
        return None
    until = now() + dt.timedelta(seconds=settings()["typing_ttl_seconds"])
    Ticket.update(customer_typing_until=until).where(Ticket.id == conversation.ticket_id).execute()
    publish("typing", {"ticket_id": conversation.ticket_id, "who": "customer"})
    return until


def heartbeat(conversation, last_seen_id=0):
    """The visitor's page is alive (and has shown messages up to ``last_seen_id``)."""
    (Conversation.update(last_seen_at=now(), left_at=None).where(Conversation.id == conversation.id).execute())
    if last_seen_id:
        mark_delivered(conversation.id, last_seen_id)


def stream_opened(conversation_id):
    (
        Conversation.update(open_streams=Conversation.open_streams + 1, last_seen_at=now(), left_at=None)
        .where(Conversation.id == conversation_id)
        .execute()
    )


def stream_alive(conversation_id):
    Conversation.update(last_seen_at=now()).where(Conversation.id == conversation_id).execute()


def stream_closed(conversation_id):
    """The visitor left when their last open stream closes."""
    with write_transaction():
        (
            Conversation.update(open_streams=Conversation.open_streams - 1)
            .where((Conversation.id == conversation_id) & (Conversation.open_streams > 0))
            .execute()
        )
        (
            Conversation.update(left_at=now())
            .where((Conversation.id == conversation_id) & (Conversation.open_streams == 0))
            .execute()
        )


def is_present(conversation, at=None, s=None):
    """True while the visitor is connected (stream open or recent heartbeat)."""
    at = at or now()
    s = s or settings()
    ttl = dt.timedelta(seconds=s["presence_ttl_seconds"])
    return (
        conversation.left_at is None and conversation.last_seen_at is not None and conversation.last_seen_at >= at - ttl
    )


def visitor_summary(ticket):
    """What agents see about a chat ticket's visitor (the channel's card):
    ``present``, the ``email`` (typed, or signed by the shop), whether the
    storefront ``signed_in`` the visitor, the ``page_url`` and how many
    ``followups`` were emailed; None for a ticket without a conversation."""
    conversation = Conversation.get_or_none(Conversation.ticket == ticket.id)
    if conversation is None:
        return None
    return {
        "present": is_present(conversation),
        "email": conversation.visitor_email,
        "signed_in": bool(conversation.customer_id or conversation.email_verified),
        "page_url": conversation.page_url,
        "followups": conversation.followups.count(),
    }
