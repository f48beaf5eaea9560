"""Attachment storage: files under ``ATTACHMENTS_DIR`` (the instance folder
by default), addressed by a random key; names sanitized, sizes bounded."""

import os
import re
import secrets

from flask import current_app
from flask_babel import gettext as _

from ..registry import Attachment
from . import ServiceError

_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name, default="attachment"):
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = _UNSAFE.sub("_", name).strip(" .")
    return (name or default)[:120]


def root():
    path = current_app.config.get("ATTACHMENTS_DIR") or os.path.join(current_app.instance_path, "attachments")
    os.makedirs(path, exist_ok=True)
    return path


def save(data: bytes, filename: str, content_type="application/octet-stream", max_bytes=None) -> Attachment:
    """Store bytes; returns an :class:`app.registry.Attachment` to put on an
    Inbound or a message. Raises ServiceError (code ``too_large``)."""
    limit = max_bytes or current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(data) > limit:
        raise ServiceError(
            _("The attachment is larger than %(n)d bytes.", n=limit), code="too_large", field="attachments"
        )
    key = secrets.token_urlsafe(18)
    with open(os.path.join(root(), key), "wb") as fh:
        fh.write(data)
    return Attachment(
        filename=safe_filename(filename),
        content_type=(content_type or "")[:100] or "application/octet-stream",
        size=len(data),
        storage_key=key,
    )


def path_for(key):
    if not key or not re.fullmatch(r"[\w-]{10,64}", key):
        return None
    path = os.path.join(root(), key)
    return path if os.path.exists(path) else None
