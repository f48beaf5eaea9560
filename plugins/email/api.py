"""The email plugin's REST API at /api/v1/email (flask-smorest, in the
OpenAPI document): one inbound message in full with its original, the
per-message "show images" action, and the mail the loop guard dropped."""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from app.plugin import current_agent, plugin_settings, require

from . import compose, delivery, dropped, original
from .api_schemas import DeliveryOut, DroppedPage, DroppedQuery, EmailMessageOut, ReplyForm, ReplyOut
from .images import show_images
from .pages import send_raw


class _Parser(FlaskParser):
    """webargs' Flask parser whose ``form`` location is the whole
    ``multipart/form-data`` body: its text fields and its files together."""

    def load_form(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class Blueprint(flask_smorest.Blueprint):
    # A form schema and a files schema would be two request bodies, and
    # flask-smorest documents the second one as "in: formData" parameters,
    # which OpenAPI 3 does not have. One schema read from the form and the
    # files documents one multipart/form-data requestBody with every field.
    ARGUMENTS_PARSER = _Parser()


bp = Blueprint(
    "email_api",
    __name__,
    url_prefix="/email",
    description="Email: inbound messages in full (sender, Cc, full text, original .eml), remote images, dropped mail.",
)


@bp.get("/messages/<dbid:message_id>")
@require("inbox")
@bp.response(200, EmailMessageOut)
def get_message(message_id):
    """An inbound email message in full: its sender, recipients, the whole
    text (quoted history included, never shortened), what the thread view
    left out (skipped attachments, blocked images)."""
    return original.load(message_id)


@bp.get("/messages/<dbid:message_id>/raw")
@require("inbox")
@bp.response(200, {"format": "binary", "type": "string"}, content_type="message/rfc822")
def get_raw(message_id):
    """The original bytes as received (``message/rfc822``, as a download)."""
    return send_raw(original.inbound_email(message_id))


@bp.post("/messages/<dbid:message_id>/images")
@require("inbox")
@bp.response(200, EmailMessageOut)
def allow_images(message_id):
    """Load the message's remote images from now on (for every agent)."""
    show_images(original.inbound_email(message_id))
    return original.load(message_id)


@bp.post("/messages/<dbid:message_id>/retry")
@require("inbox")
@bp.response(200, DeliveryOut)
@bp.alt_response(409, response="CONFLICT", description="The reply has not failed (it is queued or sent)")
def retry_reply(message_id):
    """Try a failed email reply again now; answers its delivery state afterwards."""
    return delivery.retry(message_id)


@bp.get("/dropped")
@require("settings")
@bp.arguments(DroppedQuery, location="query", as_kwargs=True)
@bp.response(200, DroppedPage)
def list_dropped(limit, cursor=None):
    """Automatic mail the loop guard did not turn into tickets, newest first, with the reason."""
    rows, next_cursor = dropped.page(limit=limit, cursor=cursor)
    return {"items": rows, "next_cursor": next_cursor}


@bp.post("/tickets/<dbid:ticket_id>/replies")
@require("inbox")
@bp.arguments(ReplyForm, location="form", content_type="multipart/form-data")
@bp.response(201, ReplyOut)
@bp.alt_response(409, response="CONFLICT", description="The channel refuses the reply (reason and code)")
def post_reply(form, ticket_id):
    """A reply on an email ticket with attached files (``multipart/form-data``:
    ``text``, ``keep_cc``, up to 10 ``files``), delivered through the outbox
    as MIME attachments; ``keep_cc`` copies the customer's latest Cc."""
    ticket = compose.email_ticket(ticket_id)
    settings = plugin_settings("email")
    files = compose.read_uploads(form.get("files") or [], settings)
    message = compose.send(ticket, current_agent(), form["text"], settings, files=files, keep_cc=form["keep_cc"])
    return message
