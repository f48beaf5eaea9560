"""A ticket's activity trail with the reason of every automatic action, and
undoing an automatic close or assignment."""

from __future__ import annotations

from flask_smorest import Blueprint
from peewee import JOIN

from ..auth import current_agent as current
from ..auth import require
from ..models import Activity, Agent
from ..services import reasons
from ..services import tickets as ticket_service
from ..services import undo as undo_service
from . import schemas as s

bp = Blueprint("api_tickets_activity", __name__, url_prefix="/api/v1", description="Ticket activity, reasons and undo")

TICKET = "/tickets/<dbid:ticket_id>"


def present(activity):
    """An Activity as the API and the ticket page show it."""
    activity.reason = reasons.of(activity)
    if activity.actor_id is None:
        activity.actor = None
    activity.undo_until = undo_service.undo_until(activity)
    return activity


@bp.get(TICKET + "/activities")
@require("inbox")
@bp.arguments(s.ActivityQuery, location="query", as_kwargs=True)
@bp.response(200, s.ActivityPage)
def list_activities(ticket_id, limit, before=None):
    """Who or which rule did what on the ticket, newest first; automatic
    actions carry their ``reason`` and, while it is possible, ``undo_until``."""
    ticket = ticket_service.get(ticket_id)
    query = Activity.select(Activity, Agent).join(Agent, JOIN.LEFT_OUTER, on=(Activity.actor == Agent.id))
    query = query.where(Activity.ticket == ticket.id)
    if before:
        query = query.where(Activity.id < before)
    rows = list(query.order_by(Activity.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = [present(a) for a in rows[:limit]]
    return {"items": rows, "before": rows[-1].id if more else None}


@bp.post(TICKET + "/activities/<dbid:activity_id>/undo")
@require("inbox")
@bp.response(200, s.ActivitySchema)
@bp.alt_response(409, response="CONFLICT", description="Not undoable: not automatic, too old, or changed since")
def undo_activity(ticket_id, activity_id):
    """Undo an automatic close (the ticket opens again as it was, with the
    auto-close clock running from now) or assignment (back to Unassigned,
    the agent keeps their turn). Answers the ``undone`` activity entry."""
    undo_service.undo(ticket_id, activity_id, current())
    latest = Activity.select().where((Activity.ticket == ticket_id) & (Activity.action == "undone"))
    return present(latest.order_by(Activity.id.desc()).get())
