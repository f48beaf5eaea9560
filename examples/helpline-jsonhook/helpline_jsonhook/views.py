"""The inbound webhook: signature first, then the body, then ingest. The
answer is 2xx only once the message is in the database."""

from __future__ import annotations

import json
import logging

import marshmallow as ma
from app.plugin import (
    Inbound,
    Sender,
    ServiceError,
    csrf_exempt,
    error_response,
    ingest,
    plugin_settings,
    unlimited,
)
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from . import signing
from .schemas import InboundSchema

log = logging.getLogger(__name__)
bp = Blueprint("jsonhook", __name__, url_prefix="/jsonhook")
# The provider cannot send a CSRF token; the signature authenticates it.
csrf_exempt(bp)

MAX_BODY = 256 * 1024


@bp.post("/inbound")
@unlimited  # a provider's burst must never be refused: it may not send again
def inbound():
    """Store one signed customer message; repeats of a message id are
    answered as duplicates and store nothing."""
    if request.content_length is None:
        return error_response(411, "length_required", _("Send the body with a Content-Length."))
    if request.content_length > MAX_BODY:
        return error_response(413, "too_large", _("The body must be at most %(n)d bytes.", n=MAX_BODY))
    settings = plugin_settings("jsonhook")
    if not settings["secret"]:
        return error_response(503, "not_configured", _("The JSON webhook channel has no secret yet."))
    raw = request.get_data(cache=False)
    if not signing.is_valid(settings["secret"], raw, request.headers.get(signing.HEADER)):
        log.warning("jsonhook inbound refused: bad or missing %s", signing.HEADER)
        return error_response(401, "bad_signature", _("The request signature is not valid."))
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return error_response(400, "invalid_json", _("The body is not JSON."))
    if not isinstance(payload, dict):
        return error_response(422, "invalid", _("The body must be a JSON object."))
    try:
        data = InboundSchema().load(payload)
    except ma.ValidationError as err:
        return error_response(422, "invalid", _("Some fields are not valid."), err.messages)
    sender = data["sender"]
    message = Inbound(
        channel="jsonhook",
        external_id=data["message_id"],
        sender=Sender(
            name=sender["name"],
            email=sender["email"],
            phone=sender["phone"],
            external_id=sender["id"],
            verified_contact=settings["contacts_verified"],
        ),
        text=data["text"],
        meta={"conversation": data["conversation_id"]},
    )
    try:
        result = ingest(message)
    except ServiceError as exc:
        fields = {exc.field: [exc.message]} if exc.field else None
        return error_response(exc.status, exc.code, exc.message, fields)
    return jsonify(ticket_id=result.ticket.id, message_id=result.message.id, duplicate=result.duplicate)
