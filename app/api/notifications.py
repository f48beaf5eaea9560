"""Your notifications (assigned, mentioned, customer replies, new tickets)
and your notification choices. Every agent sees only their own."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields, validate

from ..auth import current_agent as current
from ..auth import require
from ..services import notifications as service
from ..validation import UtcDateTime
from .schemas import AgentRef, Strict

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1", description="Your notifications")


class NotificationQuery(Strict):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=service.MAX_LIMIT))
    cursor = fields.Integer(
        validate=validate.Range(min=1, max=2**63 - 1), metadata={"description": "next_cursor of the previous page"}
    )
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread notifications"})


class TicketRef(ma.Schema):
    id = fields.Integer()
    subject = fields.String()
    status = fields.String()


class NotificationSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "assigned, mention, reply or new_ticket"})
    ticket = fields.Nested(TicketRef)
    actor = fields.Nested(AgentRef, allow_none=True, metadata={"description": "null: a rule or the customer"})
    message_id = fields.Integer(allow_none=True, metadata={"description": "the note or customer message, if any"})
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True, metadata={"description": "null while unread"})


class NotificationPage(ma.Schema):
    items = fields.List(fields.Nested(NotificationSchema), metadata={"description": "newest first"})
    next_cursor = fields.Integer(allow_none=True)
    unread = fields.Integer(metadata={"description": "how many of your notifications are unread"})


class UnreadSchema(ma.Schema):
    unread = fields.Integer()


class PreferencesSchema(Strict):
    sound = fields.Boolean(required=True, metadata={"description": "play a sound on a new notification"})
    desktop = fields.Boolean(required=True, metadata={"description": "show a browser desktop notification"})
    kinds = fields.List(
        fields.String(validate=validate.OneOf(tuple(service.KINDS))),
        required=True,
        validate=validate.Length(max=len(service.KINDS)),
        metadata={"description": "the kinds you are told about"},
    )


@bp.get("/notifications")
@require("inbox")
@bp.arguments(NotificationQuery, location="query")
@bp.response(200, NotificationPage)
def list_notifications(query):
    """Your notifications, newest first, with your unread count. The next
    page is ``?cursor=<next_cursor>``; ``next_cursor`` is null on the last
    page."""
    agent = current()
    rows, next_cursor = service.page(
        agent, limit=query["limit"], cursor=query.get("cursor"), unread_only=query["unread"]
    )
    return {"items": rows, "next_cursor": next_cursor, "unread": service.unread_count(agent)}


@bp.post("/notifications/<dbid:notification_id>/read")
@require("inbox")
@bp.response(200, NotificationSchema)
def read_notification(notification_id):
    """Mark one of your notifications read (another agent's is 404)."""
    return service.mark_read(current(), notification_id)


@bp.post("/notifications/read-all")
@require("inbox")
@bp.response(200, UnreadSchema)
def read_all_notifications():
    """Mark all your notifications read; answers the unread count (0)."""
    agent = current()
    service.mark_all_read(agent)
    return {"unread": service.unread_count(agent)}


@bp.get("/notifications/preferences")
@require("inbox")
@bp.response(200, PreferencesSchema)
def get_preferences():
    """Your notification choices (defaults until you save some)."""
    return service.preferences(current())


@bp.put("/notifications/preferences")
@require("inbox")
@bp.arguments(PreferencesSchema)
@bp.response(200, PreferencesSchema)
def put_preferences(body):
    """Replace your notification choices."""
    return service.save_preferences(current(), body["sound"], body["desktop"], body["kinds"])
