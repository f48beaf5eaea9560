"""Saved views: personal ones for everyone in the inbox, shared ones made
and changed by managers and above."""

from __future__ import annotations

from flask_smorest import Blueprint
from peewee import JOIN

from ..auth import current_agent as current
from ..auth import require
from ..models import Agent, SavedView
from ..services import views as view_service
from . import schemas as s

bp = Blueprint("api_views", __name__, url_prefix="/api/v1", description="Saved views (personal and shared)")


@bp.get("/views")
@require("inbox")
@bp.response(200, s.ViewList)
def list_views():
    """Your personal views, then the shared ones."""
    agent = current()
    rows = (
        SavedView.select(SavedView, Agent)
        .join(Agent, JOIN.LEFT_OUTER, on=(SavedView.owner == Agent.id))
        .where((SavedView.owner == agent.id) | (SavedView.shared == True))
        .order_by(SavedView.shared, SavedView.position, SavedView.id)
    )
    return {"items": [s.view_out(v) for v in rows]}


@bp.post("/views")
@require("inbox")
@bp.arguments(s.ViewCreate)
@bp.response(201, s.ViewSchema)
def create_view(body):
    """Save a filter set as a view; ``shared: true`` needs a manager or above."""
    view = view_service.create_view(
        current(), body["name"], s.filters_for_service(body["filters"]), shared=body["shared"]
    )
    return s.view_out(view)


@bp.get("/views/<dbid:view_id>")
@require("inbox")
@bp.response(200, s.ViewSchema)
def get_view(view_id):
    """One view you can see."""
    return s.view_out(view_service.get_saved_view(current(), view_id))


@bp.patch("/views/<dbid:view_id>")
@require("inbox")
@bp.arguments(s.ViewPatch)
@bp.response(200, s.ViewSchema)
def patch_view(body, view_id):
    """Rename, change filters, share or unshare."""
    agent = current()
    view = view_service.get_saved_view(agent, view_id)
    filters = s.filters_for_service(body["filters"]) if "filters" in body else None
    return s.view_out(
        view_service.update_view(agent, view, name=body.get("name"), filters=filters, shared=body.get("shared"))
    )


@bp.delete("/views/<dbid:view_id>")
@require("inbox")
@bp.response(204)
def delete_view(view_id):
    """Delete one of your views (or a shared one, as a manager or above)."""
    agent = current()
    view_service.delete_view(agent, view_service.get_saved_view(agent, view_id))
    return None
