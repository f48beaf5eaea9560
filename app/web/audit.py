"""The audit log page (owners)."""

from __future__ import annotations

from flask import render_template, request

from ..auth import require
from ..services import audit
from .blueprint import bp


@bp.get("/settings/audit")
@require("audit_log")
def audit_log():
    """Newest first, 50 a page; ``?before=<id>`` is the next page."""
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**63:
        before = None
    rows, next_before = audit.entries(limit=50, before_id=before)
    return render_template(
        "web/settings_audit.html",
        title=None,
        rows=[(row, audit.details_of(row)) for row in rows],
        next_before=next_before,
    )
