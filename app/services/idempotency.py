"""``Idempotency-Key`` for API requests that create something.

A client that sends a reply and loses the answer (a timeout, a dropped
connection) cannot know whether the reply was made; retrying with the same
key is safe: the first request's creation is recorded under (agent, key) in
the same transaction, and a repeat of the same request gets that same
resource back instead of a second one (in the spirit of the IETF
``Idempotency-Key`` header draft). The key is the client's: any printable
ASCII up to 255 characters, a UUID is a good choice. Keys are kept
``IDEMPOTENCY_KEY_HOURS`` (default 24); after that the key is free again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import peewee
from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..models import IdempotencyKey
from . import Conflict, ServiceError

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class BadKey(ServiceError):
    """A malformed key, or one first sent with another request (HTTP 422)."""

    status = 422


def window() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config.get("IDEMPOTENCY_KEY_HOURS") or 24)


def check_key(key: str) -> str:
    """The key as sent, or BadKey (422) naming the header's rule."""
    if not _KEY.fullmatch(key):
        raise BadKey(
            _("The Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces."),
            code="invalid_idempotency_key",
            field=HEADER,
        )
    return key


def fingerprint(method: str, path: str, body) -> str:
    """A digest of what the request asks for: the same key with another
    request is a client bug, refused rather than answered with the wrong thing."""
    text = json.dumps([method, path, body], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def once(agent, key: str, print_: str, create, load):
    """``(resource, replayed)``: ``create()`` (which returns something with an
    ``id``) run once per (agent, key), in one transaction with the record of
    the key; a repeat returns ``load(id)`` of the first creation and True.
    Raises BadKey (422) when the key was used for another request, and
    Conflict (409) when the first request is still in progress elsewhere."""
    for _attempt in range(2):
        existing = _live(agent, key)
        if existing is not None:
            return _replay(existing, print_, load), True
        try:
            with write_transaction():
                resource = create()
                IdempotencyKey.delete().where(
                    (IdempotencyKey.agent == agent.id)
                    & (IdempotencyKey.key == key)
                    & (IdempotencyKey.created_at <= now() - window())
                ).execute()  # an expired record of the same key, not yet purged
                IdempotencyKey.create(
                    agent=agent.id, key=key, fingerprint=print_, resource_id=resource.id, created_at=now()
                )
            return resource, False
        except peewee.IntegrityError:
            continue  # a concurrent request with the key won: answer what it made
    raise Conflict(
        _("A request with this Idempotency-Key is still being processed; retry in a moment."),
        code="idempotency_key_in_use",
    )


def _live(agent, key):
    return IdempotencyKey.get_or_none(
        (IdempotencyKey.agent == agent.id)
        & (IdempotencyKey.key == key)
        & (IdempotencyKey.created_at > now() - window())
    )


def _replay(record, print_, load):
    if record.fingerprint != print_:
        raise BadKey(
            _("This Idempotency-Key was used for a different request; use a new key for a new request."),
            code="idempotency_key_reused",
            field=HEADER,
        )
    return load(record.resource_id)


def purge() -> int:
    """Forget keys older than the window; returns how many."""
    return IdempotencyKey.delete().where(IdempotencyKey.created_at <= now() - window()).execute()
