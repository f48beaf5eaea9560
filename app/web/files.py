"""Attachments, served to agents only.

A customer's file is theirs, not ours: it is always a download, except a
few raster image types that browsers cannot run script from, which may be
shown inline (``?inline=1``, for thumbnails). SVG, HTML, XML and PDF can
carry script, so they are never inline, whatever the customer claimed the
type was. ``nosniff`` stops the browser guessing a more active type, and
``sandbox`` keeps any document that is opened anyway off our origin."""

import io

from flask import Blueprint, abort, request, send_file

from ..auth import require
from ..models import Message
from ..services import storage

bp = Blueprint("files", __name__)

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@bp.get("/attachments/<dbid:message_id>/<key>")
@require("inbox")
def attachment(message_id, key):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        abort(404)
    meta = next((a for a in message.attachments if a.get("storage_key") == key), None)
    if meta is None:
        abort(404)
    # A file the message names but storage lacks answers 404 saying so
    # (storage.MissingFile), not a bare "not found".
    path = storage.path_for(key)
    source = path if path is not None else io.BytesIO(storage.read(key))
    content_type = (meta.get("content_type") or "").split(";")[0].strip().lower()
    inline = request.args.get("inline") == "1" and content_type in INLINE_TYPES
    response = send_file(
        source,
        mimetype=content_type or "application/octet-stream",
        as_attachment=not inline,
        download_name=meta.get("filename") or "attachment",
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
