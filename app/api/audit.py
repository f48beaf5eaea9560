"""The audit log, for owners."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..auth import require
from ..services import audit
from . import schemas as s

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="The audit log (owners)")


@bp.get("/audit")
@require("audit_log")
@bp.arguments(s.AuditQuery, location="query")
@bp.response(200, s.AuditPage)
def list_audit(query):
    """Who changed settings, plugins, agents and roles, tokens, sessions
    and two-factor, newest first. The next page is
    ``?cursor=<next_cursor>``; ``next_cursor`` is null on the last page."""
    rows, next_cursor = audit.entries(limit=query["limit"], before_id=query.get("cursor"))
    items = [{**row.__data__, "actor": row.actor, "details": audit.details_of(row)} for row in rows]
    return {"items": items, "next_cursor": next_cursor}
