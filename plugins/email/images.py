"""Images in customer HTML. Inline ``cid:`` images point at the stored part;
remote images are blocked (a tracking pixel tells the sender when, where and
that an agent read the mail) until an agent allows them for that message."""

from __future__ import annotations

import html as html_lib
import re

from flask import current_app

from app.plugin import Message

# nh3 writes every attribute as name="value" with the value escaped, so the
# stored markup is regular enough to rewrite attribute values in place.
_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")', re.IGNORECASE)
_BLOCKED = re.compile(r'(<img\b[^>]*?\ssrc=")[^"]*?/email/static/blocked-image\.svg\?n=(\d+)(")', re.IGNORECASE)
MAX_REMOTE_IMAGES = 200


def _root():
    return (current_app.config.get("APPLICATION_ROOT") or "/").rstrip("/")


def block_remote(markup):
    """``(markup, originals)``: every remote ``<img src>`` replaced by the
    blocked-image placeholder, the original values (as escaped in the
    markup) listed in order for :func:`allow_remote`."""
    originals = []
    placeholder = f"{_root()}/email/static/blocked-image.svg?n="

    def swap(match):
        value = html_lib.unescape(match[2]).strip().lower()
        if not value.startswith(("http:", "https:", "//")):
            return match[0]
        if len(originals) >= MAX_REMOTE_IMAGES:
            return f"{match[1]}{placeholder}{MAX_REMOTE_IMAGES}{match[3]}"  # never restored
        originals.append(match[2])
        return f"{match[1]}{placeholder}{len(originals) - 1}{match[3]}"

    return _SRC.sub(swap, markup or ""), originals


def allow_remote(markup, originals):
    """The markup with the blocked images' original sources put back."""

    def restore(match):
        index = int(match[2])
        return f"{match[1]}{originals[index]}{match[3]}" if index < len(originals) else match[0]

    return _BLOCKED.sub(restore, markup or "")


def link_inline(markup, message_id, cid_keys):
    """``cid:`` sources pointing at the stored inline parts of message
    ``message_id`` (served by the core's attachment route)."""
    if not cid_keys:
        return markup

    def swap(match):
        value = html_lib.unescape(match[2]).strip()
        if not value.lower().startswith("cid:"):
            return match[0]
        key = cid_keys.get(value[4:].strip("<>"))
        if key is None:
            return match[0]
        return f"{match[1]}{_root()}/attachments/{int(message_id)}/{key}?inline=1{match[3]}"

    return _SRC.sub(swap, markup)


def show_images(message):
    """Allow the remote images of one email message (for every agent)."""
    meta = dict(message.meta or {})
    originals = meta.get("blocked_images") or []
    if not originals:
        return message
    message.html = allow_remote(message.html, originals)
    meta["images_allowed"] = True
    meta.pop("blocked_images")
    message.meta = meta
    Message.update(html=message.html, meta=meta).where(Message.id == message.id).execute()
    return message
