"""Link shortening for outbound SMS: each link becomes
``<public_url>/l/<code>``, which redirects and counts clicks per message."""

from __future__ import annotations

import re
import secrets

import peewee

from app.plugin import Message, db, now

from .models import ShortLink

URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""
MAX_URL = 2000


def _code_for(message_id, url):
    existing = ShortLink.get_or_none((ShortLink.message_id == message_id) & (ShortLink.url == url))
    if existing is not None:  # a retried delivery keeps its codes
        return existing.code
    for _ in range(5):
        code = secrets.token_urlsafe(6)
        try:
            with db.atomic():
                ShortLink.create(code=code, message_id=message_id, url=url, created_at=now())
            return code
        except peewee.IntegrityError:
            existing = ShortLink.get_or_none((ShortLink.message_id == message_id) & (ShortLink.url == url))
            if existing is not None:
                return existing.code
    raise RuntimeError("could not allocate a short link code")


def shorten(text, message_id, base_url):
    """``(text with links replaced, [codes])``. Links already short, and
    very long ones, are left alone."""
    base = base_url.rstrip("/")
    prefix = base + "/l/"
    codes = []

    def replace(match):
        url = match.group(0)
        tail = ""
        while url and url[-1] in TRAILING:
            url, tail = url[:-1], url[-1] + tail
        if not url or url.startswith(prefix) or len(url) > MAX_URL or "://" == url[-3:]:
            return match.group(0)
        code = _code_for(message_id, url)
        codes.append(code)
        return prefix + code + tail

    return URL.sub(replace, text or ""), codes


def click(code):
    """Count a click; returns the target URL, or None for an unknown code."""
    if not code or len(code) > 16:
        return None
    link = ShortLink.get_or_none(ShortLink.code == code)
    if link is None:
        return None
    ShortLink.update(clicks=ShortLink.clicks + 1, last_clicked_at=now()).where(ShortLink.id == link.id).execute()
    return link.url


def clicks_by_message(message_ids):
    """``{message_id: total clicks}`` for many messages in one query."""
    rows = (
        ShortLink.select(ShortLink.message_id, peewee.fn.SUM(ShortLink.clicks).alias("total"))
        .where(ShortLink.message_id.in_(list(message_ids)))
        .group_by(ShortLink.message_id)
    )
    return {row.message_id: int(row.total or 0) for row in rows}


def links_by_message(ticket_id):
    """``{message_id: [{url, short_url_code, clicks, last_clicked_at}]}`` for
    the shortened links of one ticket's messages, in one query."""
    rows = (
        ShortLink.select()
        .where(ShortLink.message_id.in_(Message.select(Message.id).where(Message.ticket == ticket_id)))
        .order_by(ShortLink.message_id, ShortLink.id)
    )
    found = {}
    for row in rows:
        found.setdefault(row.message_id, []).append(
            {"url": row.url, "code": row.code, "clicks": row.clicks, "last_clicked_at": row.last_clicked_at}
        )
    return found
