"""One error path for the whole app. A request that wants JSON (the API and
every plugin API under ``/api/``, or a script asking with ``Accept:
application/json``) gets ``{"error": {"code", "message", "fields"?}}`` with a
status that means what it says; a browser gets the UI's error page.
Service errors, marshmallow's and webargs' validation errors, ``abort``,
CSRF failures, rate limits and routing errors all end here."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .plugins import PluginError, field_messages
from .services import ServiceError

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


def wants_json() -> bool:
    """Whether this request is answered with JSON (errors included): every
    path under ``/api/``, requests with a JSON body or an API token, and clients that rank HTML below JSON
    or an event stream (the UI's scripts send ``Accept: application/json``;
    an EventSource sends ``text/event-stream``). Browsers get pages."""
    if request.path.startswith(API_PREFIX) or request.is_json:
        return True  # a client that sends JSON (a webhook, a script) reads JSON
    if request.headers.get("Authorization", "").split(" ", 1)[0].lower() == "bearer":
        return True  # a script (curl sends Accept: */*): a browser never sends a token
    accept = request.accept_mimetypes
    return accept["text/html"] < max(accept["application/json"], accept["text/event-stream"])


def error_response(status, code, message, fields=None, headers=None):
    """The one JSON error answer: ``{"error": {"code", "message", "fields"?}}``.
    ``fields`` maps a field name to its messages."""
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
    locations = {"json", "query", "querystring", "form", "headers", "files", "view_args", "path"}
    if isinstance(messages, dict) and messages and set(messages) <= locations:
        flat = {}
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                flat.update(location_messages)
            else:
                flat["_schema"] = location_messages
        return flat
    return messages


def _page(status, message=None, title=None):
    """The UI's error page (browsers)."""
    titles = {
        400: _("Bad request"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        429: _("Too many requests"),
    }
    return render_template(
        "web/error.html", status=status, title=title or titles.get(status, _("Error")), message=message
    ), status


def _http_message(error, status):
    if isinstance(error, CSRFError):
        return "csrf_failed", _("The CSRF token is missing or invalid; send it in the X-CSRFToken header.")
    messages = {
        400: _("The request could not be read (for example, a body that is not valid JSON)."),
        401: _("Log in first: a session cookie or an Authorization: Bearer token."),
        403: _("Your role does not allow this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
        422: _("Some fields are not valid."),
        429: _("Too many requests; try again later."),
    }
    if status in messages:
        return CODES[status], messages[status]
    if status >= 500:
        return CODES[500], _("Something went wrong on our side.")
    return CODES.get(status, "error"), (getattr(error, "data", None) or {}).get("message") or error.description


def handle_http_exception(error: HTTPException):
    """``abort``, routing, CSRF, body size and rate-limit errors."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    # The exception's own headers (Allow on a 405, Retry-After on a 429), not its HTML body's type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if not wants_json():
        if status >= 500:
            return error  # Flask's own plain answer: nothing more can go wrong
        if isinstance(error, CSRFError):
            message = _("The form was open too long or came from elsewhere. Go back, reload the page and try again.")
            return _page(400, message, title=_("Form expired"))
        pages = {403: _("Your role does not allow this page."), 404: _("This page does not exist.")}
        body, status = _page(status, pages.get(status) or _http_message(error, status)[1])
        return body, status, headers
    fields = field_messages(_flatten_webargs(data["messages"])) if data.get("messages") else None
    code, message = _http_message(error, status)
    return error_response(status, code, message, fields, headers)


def handle_service_error(error: ServiceError):
    """A refusal of the domain (``ServiceError`` and its subclasses)."""
    fields = getattr(error, "fields", None)
    if fields is None and error.field:
        fields = {error.field: [error.message]}
    if not wants_json():
        return _page(error.status, error.message)
    return error_response(error.status, error.code, error.message, fields)


def handle_validation_error(error: ma.ValidationError):
    """Input that a schema refused outside webargs (views loading a schema
    themselves, settings)."""
    if not wants_json():
        return _page(422, _("Some fields are not valid."))
    return error_response(422, "invalid", _("Some fields are not valid."), field_messages(error.messages))


def handle_plugin_error(error: PluginError):
    if not wants_json():
        return _page(409, str(error))
    return error_response(409, "plugin_error", str(error))


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(ma.ValidationError, handle_validation_error)
    app.register_error_handler(PluginError, handle_plugin_error)
