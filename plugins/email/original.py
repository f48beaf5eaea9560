"""One stored email message as agents inspect it: who sent it, the full
text (never shortened), what was left out of the thread view and why, and
the original bytes."""

from __future__ import annotations

import dataclasses

from flask_babel import gettext as _

from app.plugin import Message, NotFound, storage

from .parsing import parse

SLUG = "email"


@dataclasses.dataclass
class Original:
    """What the full-message page and the API show for one inbound email."""

    message: Message
    sender: dict
    to: list
    cc: list
    reply_to: str | None
    full_text: str
    raw_size: int | None
    raw_available: bool
    skipped_attachments: list
    shortened: bool
    quoted: bool
    blocked_images: int
    images_allowed: bool
    sender_check: dict | None = None


def inbound_email(message_id):
    """The inbound email message ``message_id`` or NotFound."""
    message = Message.get_or_none(
        (Message.id == message_id) & (Message.channel == SLUG) & (Message.direction == "inbound")
    )
    if message is None:
        raise NotFound(_("No such email message."), code="not_found")
    return message


def raw_bytes(message):
    """The original bytes, or None when they are gone (read through the
    deployment's storage, so any host can show them)."""
    try:
        return storage.read((message.meta or {}).get("raw_key"))
    except storage.MissingFile:
        return None


def load(message_id):
    """The :class:`Original` of an inbound email message (NotFound when it is
    not one). The full text is read again from the original, so it is never
    shortened, whatever the thread view had to cut."""
    message = inbound_email(message_id)
    meta = message.meta or {}
    raw = raw_bytes(message)
    full_text = meta.get("full_text") or message.text
    if raw is not None:
        parsed = parse(raw)
        full_text = parsed.text or full_text
    return Original(
        message=message,
        sender=meta.get("sender") or {"name": "", "email": meta.get("from")},
        to=meta.get("to") or [],
        cc=meta.get("cc") or [],
        reply_to=meta.get("reply_to"),
        full_text=full_text,
        raw_size=meta.get("raw_size"),
        raw_available=raw is not None,
        skipped_attachments=meta.get("skipped_attachments") or [],
        shortened=bool(meta.get("truncated") or meta.get("full_text_chars")),
        quoted=bool(meta.get("quoted") or meta.get("full_text")),
        blocked_images=len(meta.get("blocked_images") or []),
        images_allowed=bool(meta.get("images_allowed")),
        sender_check=meta.get("sender_check"),
    )
