"""Attachments, served to agents only."""

from flask import Blueprint, abort, request, send_file

from ..auth import require
from ..models import Message
from ..services import storage

bp = Blueprint("files", __name__)


@bp.get("/attachments/<int(min=1, max=2147483647):message_id>/<key>")
@require("inbox")
def attachment(message_id, key):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        abort(404)
    meta = next((a for a in message.attachments if a.get("storage_key") == key), None)
    path = storage.path_for(key) if meta else None
    if path is None:
        abort(404)
    inline = request.args.get("inline") == "1" and meta.get("content_type", "").startswith("image/")
    return send_file(
        path,
        mimetype=meta.get("content_type") or "application/octet-stream",
        as_attachment=not inline,
        download_name=meta.get("filename") or "attachment",
    )
