"""The agent's own security: where they are logged in, "log out
everywhere", and two-factor (owners and admins)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import auth
from ..auth import current_agent, require
from ..permissions import AUTHENTICATED
from ..services import ServiceError, sessions, twofactor
from .blueprint import bp
from .helpers import done, failed


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


@bp.route("/account/2fa", methods=["GET", "POST"])
@require(AUTHENTICATED)
def account_2fa():
    """Two-factor: start the set-up (a QR code and the secret), confirm it
    with a code (the recovery codes are shown once), or turn it off."""
    agent = current_agent()
    if not twofactor.eligible(agent):
        abort(404)
    back = url_for("web.account_2fa")
    context = {"enabled": twofactor.enabled(agent), "left": twofactor.recovery_codes_left(agent)}
    if request.method == "POST":
        action = request.form.get("action")
        code = (request.form.get("code") or "")[:32]
        try:
            if action == "start":
                secret = twofactor.begin(agent)
                context.update(secret=secret, uri=twofactor.provisioning_uri(agent), qr=Markup(twofactor.qr_svg(agent)))
            elif action == "confirm":
                codes = twofactor.confirm(agent, code)
                context.update(enabled=True, recovery_codes=codes, left=len(codes))
            elif action == "disable":
                twofactor.disable(agent, code)
                return done(back, _("Two-factor is off."))
            else:
                abort(400)
        except ServiceError as exc:
            return failed(back, exc.message, field="code", status=exc.status)
    return render_template("web/account_2fa.html", **context)
