"""The agent's own security: where they are logged in, "log out
everywhere", API tokens, and two-factor (owners and admins)."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import auth
from ..auth import current_agent, require
from ..clock import now
from ..permissions import AUTHENTICATED
from ..services import ServiceError, sessions, tokens, twofactor
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


class TokenForm(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    scope = ma.fields.String(load_default="full", validate=ma.validate.OneOf(("full", "read")))
    expires_in_days = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=3650))


def _token_page(**extra):
    agent = current_agent()
    response = make_response(
        render_template(
            "web/account_tokens.html",
            mine=tokens.own_tokens(agent),
            others=tokens.others_tokens(agent),
            manage_all=tokens.may_manage_all(agent),
            now=now(),
            **extra,
        ),
    )
    response.headers["Cache-Control"] = "no-store"  # a new token's secret must not stay in a cache
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@require(AUTHENTICATED)
def account_tokens():
    """My API tokens: list, create (the secret is shown on this answer
    only), and for owners and admins every agent's live tokens."""
    if request.method == "GET":
        return _token_page()
    raw = {k: v for k, v in request.form.items() if k in ("name", "scope", "expires_in_days") and v != ""}
    try:
        data = TokenForm().load(raw)
    except ma.ValidationError as err:
        return _token_page(errors=err.messages, form=raw)  # 200: the page shows the errors
    days = data["expires_in_days"]
    expires_at = now() + dt.timedelta(days=days) if days else None
    row, plaintext = auth.create_token(current_agent(), data["name"], scope=data["scope"], expires_at=expires_at)
    return _token_page(created=row, secret=plaintext)


@bp.route("/account/tokens/<dbid:token_id>/revoke", methods=["GET", "POST"])
@require(AUTHENTICATED)
def revoke_token(token_id):
    """Ask first (GET), then revoke (POST): the token stops working at once."""
    row = tokens.revocable(current_agent(), token_id)
    if row is None:
        abort(404)
    back = url_for("web.account_tokens")
    if request.method == "GET":
        return render_template("web/account_token_revoke.html", token=row, back=back)
    auth.revoke_token(row)
    return done(back, _("The token %(name)s is revoked.", name=row.name))
