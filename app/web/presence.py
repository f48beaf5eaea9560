"""The presence switch (online / away / offline) and the page heartbeat."""

from __future__ import annotations

from flask import jsonify, request

from ..auth import current_agent
from ..services import ServiceError
from ..services.agents import set_presence
from .blueprint import bp
from .helpers import page_require


@bp.post("/presence")
@page_require("inbox")
def presence():
    """``presence=online|away|offline`` sets the status; without it this is
    a heartbeat (sent every ~30 s while an inbox page is open)."""
    choice = request.form.get("presence") or None
    try:
        agent = set_presence(current_agent(), presence=choice, heartbeat=True)
    except ServiceError as exc:
        return jsonify(error={"message": exc.message, "field": exc.field}), 400
    return jsonify(presence=agent.presence, effective=agent.presence_effective)
