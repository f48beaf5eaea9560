"""The agent's own sessions: where they are logged in, and "log out
everywhere"."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from .. import auth
from ..auth import current_agent, require
from ..permissions import AUTHENTICATED
from ..services import sessions
from .blueprint import bp


@bp.get("/account/sessions")
@require(AUTHENTICATED)
def account_sessions():
    """Every live session of the logged-in agent, this one marked."""
    agent = current_agent()
    return render_template(
        "web/account_sessions.html",
        title=None,
        sessions=sessions.active_sessions(agent),
        current_id=sessions.current_session_id(),
    )


@bp.post("/account/sessions/revoke")
@require(AUTHENTICATED)
def logout_everywhere():
    """End every session of this agent, this browser's too."""
    sessions.revoke_sessions(current_agent())
    auth.logout()
    return redirect(url_for("web.login"))
