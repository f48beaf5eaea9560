"""``POST /email/inbound``: raw RFC 5322 bytes posted by a mail provider's
inbound webhook, authenticated by ``X-Helpline-Signature``: the hex
HMAC-SHA256 of the body keyed with the ``inbound_secret`` setting
(``sha256=`` prefix optional)."""

import hashlib
import hmac

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from app.plugin import csrf_exempt, error_response, plugin_settings, unlimited

from .inbound import receive

bp = csrf_exempt(Blueprint("email", __name__, url_prefix="/email"))
SIGNATURE_HEADER = "X-Helpline-Signature"


def signature_for(secret, body):
    """The signature a provider must send for ``body``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _signature_ok(secret, body, header):
    if not secret or not header:
        return False
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    return hmac.compare_digest(given.lower().encode(), signature_for(secret, body).encode())


@bp.post("/inbound")
@unlimited  # the provider's burst is never refused; the signature is the guard
def inbound():
    """Accept one raw message; 2xx means it is stored (or deliberately dropped)."""
    settings = plugin_settings("email")
    limit = settings["max_message_bytes"]
    if request.content_length is not None and request.content_length > limit:
        return error_response(413, "too_large", _("The message is larger than %(n)d bytes.", n=limit))
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return error_response(413, "too_large", _("The message is larger than %(n)d bytes.", n=limit))
    if not _signature_ok(settings["inbound_secret"], body, request.headers.get(SIGNATURE_HEADER)):
        return error_response(403, "bad_signature", _("The signature is missing or wrong."))
    if not body.strip():
        return error_response(400, "empty", _("The message is empty."))
    result = receive(body, settings, envelope_recipients=request.args.getlist("to")[:50], via="http")
    status = 201 if result.outcome == "created" else 200
    return jsonify(
        {
            "outcome": result.outcome,
            "message_id": result.message_id,
            "ticket_id": result.ticket_id,
            "reason": result.reason,
        }
    ), status
