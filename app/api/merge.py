"""Merging a ticket into another ticket of the same customer, undoing the
merge, and splitting a ticket in two (see :mod:`app.services.merge`)."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..auth import current_agent as current
from ..auth import require
from ..services import merge as merge_service
from . import schemas as s
from .tickets import _detail

bp = Blueprint("api_tickets_merge", __name__, url_prefix="/api/v1", description="Merging tickets")


def _result(source, into):
    activity = merge_service.merge_activity(source)
    return {
        "ticket": _detail(source),
        "into": _detail(into),
        "unmerge_until": merge_service.unmerge_until(activity),
    }


@bp.post("/tickets/<dbid:ticket_id>/merge")
@require("inbox")
@bp.arguments(s.MergeBody)
@bp.response(200, s.MergeResult)
@bp.alt_response(409, response="CONFLICT", description="One of the tickets is already merged")
def merge(body, ticket_id):
    """Merge this ticket into ticket ``into`` (same customer): its messages
    move there (the thread is in time order) and this ticket is closed with
    the reason ``merged``. ``unmerge_until`` says until when it can be undone."""
    into = merge_service.merge(ticket_id, body["into"], current())
    return _result(merge_service.get_ticket(ticket_id), into)


@bp.post("/tickets/<dbid:ticket_id>/unmerge")
@require("inbox")
@bp.response(200, s.MergeResult)
@bp.alt_response(409, response="CONFLICT", description="Not merged, or the undo window is over")
def unmerge(ticket_id):
    """Undo the merge of this ticket: its messages move back and it is as it
    was before (open, snoozed or closed), not counted as a reopen."""
    activity = merge_service.merge_activity(merge_service.get_ticket(ticket_id))
    source = merge_service.unmerge(ticket_id, current())
    into = merge_service.get_ticket(activity.data["into"])
    return {"ticket": _detail(source), "into": _detail(into), "unmerge_until": None}


@bp.post("/tickets/<dbid:ticket_id>/split")
@require("inbox")
@bp.arguments(s.SplitBody)
@bp.response(201, s.TicketDetailSchema)
@bp.alt_response(409, response="CONFLICT", description="The ticket is merged")
def split(body, ticket_id):
    """Move message ``message_id`` and every later message (time order) to a
    new ticket of the same customer and channel; answers the new ticket. To
    undo, merge the new ticket back."""
    return _detail(merge_service.split(ticket_id, body["message_id"], current()))
