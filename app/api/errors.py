"""One error shape for the whole API: ``{"error": {"code", "message",
"fields"?}}`` with a status that means what it says. Service exceptions,
webargs' 422, ``abort`` and routing errors under ``/api/`` all end here."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..permissions import Forbidden
from ..plugins import PluginError
from ..services import ServiceError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

# Stable codes per HTTP status, for errors that carry none of their own.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, for programs."})
    message = ma.fields.String(required=True, metadata={"description": "Translated, for people."})
    fields = ma.fields.Dict(metadata={"description": "Messages per field (validation errors)."})


class ErrorSchema(ma.Schema):
    """The body of every error answer."""

    error = ma.fields.Nested(ErrorDetail, required=True)


class ApiError(ServiceError):
    """Raised by API views for an answer with any status."""

    def __init__(self, status, message, code=None, field=None, fields=None):
        super().__init__(message, code=code or CODES.get(status, "error"), field=field)
        self.status = status
        self.fields = fields


def is_api_request():
    return request.path.startswith(API_PREFIX)


def error_response(status, code, message, fields=None, headers=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs(messages):
    """webargs keys messages by location (``{"json": {...}}``); clients care
    about the fields."""
    if (
        isinstance(messages, dict)
        and messages
        and set(messages) <= {"json", "query", "querystring", "form", "headers", "files", "view_args", "path"}
    ):
        flat = {}
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                flat.update(location_messages)
            else:
                flat["_schema"] = location_messages
        return flat
    return messages


def handle_http_exception(error: HTTPException):
    """JSON for API paths; everything else keeps Flask's own answer (the UI
    registers its own pages)."""
    if not is_api_request():
        return error
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 429:
        # flask-limiter's Retry-After and friends
        headers.update({k: v for k, v in (error.get_headers() or []) if k.lower().startswith(("retry", "x-rate"))})
    fields = _flatten_webargs(data.get("messages")) if data.get("messages") else None
    if status == 422:
        message = _("Some fields are not valid.")
    elif status == 400 and error.__class__.__name__ == "CSRFError":
        return error_response(
            400, "csrf_failed", _("The CSRF token is missing or invalid; send it in the X-CSRFToken header.")
        )
    elif status == 413:
        message = _("The request body is too large.")
    elif status == 404:
        message = _("Not found.")
    elif status == 405:
        message = _("This method is not allowed here.")
    elif status == 429:
        message = _("Too many requests; try again later.")
    elif status >= 500:
        message = _("Something went wrong on our side.")
    else:
        message = data.get("message") or error.description or error.name
    return error_response(status, CODES.get(status, "error"), message, fields, headers)


def handle_service_error(error: ServiceError):
    if not is_api_request():
        return error_response(error.status, error.code, error.message)
    fields = getattr(error, "fields", None)
    if fields is None and error.field:
        fields = {error.field: [error.message]}
    return error_response(error.status, error.code, error.message, fields)


def handle_forbidden(error: Forbidden):
    return error_response(403, "forbidden", str(error) or _("Your role does not allow this."))


def handle_validation_error(error: ma.ValidationError):
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, "invalid", _("Some fields are not valid."), messages)


def handle_plugin_error(error: PluginError):
    return error_response(409, "plugin_error", str(error))


def init_app(app):
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(Forbidden, handle_forbidden)
    app.register_error_handler(ma.ValidationError, handle_validation_error)
    app.register_error_handler(PluginError, handle_plugin_error)
