"""The presence switch (online / away / offline) and the page heartbeat."""

from __future__ import annotations

from flask import jsonify, request

from ..auth import current_agent, require
from ..services.agents import set_presence
from .blueprint import bp


@bp.post("/presence")
@require("inbox")
def presence():
    """``presence=online|away|offline`` sets the status; without it this is
    a heartbeat (sent every ~30 s while an inbox page is open)."""
    choice = request.form.get("presence") or None
    agent = set_presence(current_agent(), presence=choice, heartbeat=True)  # refusals: the one error answer
    return jsonify(presence=agent.presence, effective=agent.presence_effective)
