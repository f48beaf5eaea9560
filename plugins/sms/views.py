"""HTTP entry points of the SMS plugin outside the REST API: Twilio's
webhooks (signature checked, CSRF exempt; plain Flask views because Twilio
defines their bodies, answering errors in the one JSON shape) and the
short-link redirect. The attribution API is :mod:`plugins.sms.api`."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Blueprint, Response, abort, g, redirect, request
from flask_babel import gettext as _

from app.plugin import (
    ServiceError,
    csrf_exempt,
    error_response,
    limiter,
    plugin_settings,
    public_limit,
    unlimited,
)

from . import delivery, links, twilio_api
from .receive import receive
from .schemas import InboundForm, StatusForm

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, template_folder="templates")  # the consent panel

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's webhook forms are a few kilobytes; anything much larger is not Twilio.
MAX_WEBHOOK_BYTES = 64 * 1024


def _webhook_url(settings):
    """The URL Twilio signed: the configured public URL when Helpline runs
    behind a proxy, else the URL this request arrived on."""
    if not settings["public_url"]:
        return request.url
    query = request.query_string.decode("latin-1")
    return settings["public_url"] + request.path + (f"?{query}" if query else "")


# Each form built once: building a schema (copying its declared fields) cost
# three times what loading Twilio's form does. Loading keeps no state on the
# instance, so the request threads share it.
INBOUND_FORM = InboundForm()
STATUS_FORM = StatusForm()


def _verified_form(schema):
    """The settings and validated form of a signed Twilio webhook, or an
    error response."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return None, None, error_response(413, "too_large", _("The request is too large."))
    settings = plugin_settings("sms")
    if not settings["auth_token"]:
        return None, None, error_response(403, "not_configured", _("SMS is not configured."))
    form = request.form
    if not twilio_api.signature_is_valid(settings, _webhook_url(settings), form, request.headers):
        log.warning("SMS webhook %s refused: bad or missing X-Twilio-Signature", request.path)
        return None, None, error_response(403, "bad_signature", _("The request signature is not valid."))
    try:
        data = schema.load(form.to_dict())
    except ma.ValidationError as err:
        return None, None, error_response(400, "invalid", _("The request is not valid."), err.messages)
    if settings["account_sid"] and data["AccountSid"] and data["AccountSid"] != settings["account_sid"]:
        return None, None, error_response(403, "wrong_account", _("The request is for another Twilio account."))
    return settings, data, None


@bp.post("/sms/twilio/inbound")
@csrf_exempt  # Twilio cannot send a CSRF token; the signature authenticates it
@unlimited  # a refused inbound message is not retried by Twilio
def inbound():
    """Twilio's inbound message webhook; answers empty TwiML once stored."""
    settings, data, error = _verified_form(INBOUND_FORM)
    if error:
        return error
    try:
        receive(data, settings)
    except ServiceError as exc:
        return error_response(400, exc.code, exc.message, {exc.field: [exc.message]} if exc.field else None)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@bp.post("/sms/twilio/status")
@csrf_exempt
@unlimited
def status():
    """Twilio's status callback for outbound messages."""
    settings, data, error = _verified_form(STATUS_FORM)
    if error:
        return error
    delivery.apply_status(data["MessageSid"], data["MessageStatus"], data["ErrorCode"])
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@bp.get("/l/<code>")
@limiter.limit(public_limit)
def short_link(code):
    """Redirect a short link from an SMS and count the click."""
    url = links.click(code)
    if url is None:
        abort(404)
    return redirect(url, code=302)


@bp.app_template_global("sms_link_clicks")
def sms_link_clicks(ticket_id):
    """``{message_id: links with clicks}`` for the thread being rendered:
    one query per ticket and request, however many messages are shown."""
    cache = g.setdefault("sms_link_clicks", {})
    if ticket_id not in cache:
        cache[ticket_id] = links.links_by_message(ticket_id)
    return cache[ticket_id]
