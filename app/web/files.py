"""Attachments, served to agents only."""

import io

from flask import Blueprint, abort, request, send_file

from ..auth import require
from ..models import Message
from ..services import storage

bp = Blueprint("files", __name__)


@bp.get("/attachments/<int:message_id>/<key>")
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
    inline = request.args.get("inline") == "1" and meta.get("content_type", "").startswith("image/")
    return send_file(
        source,
        mimetype=meta.get("content_type") or "application/octet-stream",
        as_attachment=not inline,
        download_name=meta.get("filename") or "attachment",
    )
