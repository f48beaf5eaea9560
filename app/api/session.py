"""Logging in and out (the UI's session cookie) and personal API tokens."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from .. import auth
from ..auth import current_agent as current
from ..auth import require
from ..clock import now
from ..models import Agent, ApiToken
from ..permissions import AUTHENTICATED, PUBLIC
from ..ratelimit import limit_logins
from ..services import sessions, twofactor
from ..services.agents import check_password, hash_password
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_session", __name__, url_prefix="/api/v1", description="Session login and API tokens")


@bp.get("/session")
@require(PUBLIC)
@bp.response(200, s.SessionSchema)
def get_session():
    """Who is logged in (null when nobody) and a CSRF token for scripts."""
    return {"agent": auth.current_agent(), "csrf_token": generate_csrf()}


@bp.post("/session")
@require(PUBLIC, csrf=False)
@limit_logins()
@bp.arguments(s.LoginBody)
@bp.response(200, s.SessionSchema)
@bp.alt_response(429, response="TOO_MANY_REQUESTS", description="Too many login attempts")
def create_session(body):
    """Log in with email and password (and ``otp`` when the agent has
    two-factor on: 401 ``otp_required`` without it, ``invalid_otp`` for a
    wrong one); sets the session cookie. Limited per client address (429
    past the limit)."""
    agent = Agent.get_or_none(Agent.email == body["email"].strip().lower())
    if agent is None:
        _spend_a_hash(body["password"])
    if agent is None or not agent.is_active or not check_password(agent, body["password"]):
        raise ApiError(401, _("Wrong email or password."), code="invalid_credentials")
    if twofactor.enabled(agent):
        if not body.get("otp"):
            raise ApiError(401, _("Enter the code from your authenticator app."), code="otp_required")
        if not twofactor.verify(agent, body["otp"]):
            raise ApiError(401, _("That code is not valid."), code="invalid_otp")
    auth.login(agent)
    return {"agent": agent, "csrf_token": generate_csrf()}


_dummy = []


def _spend_a_hash(password):
    """Verify against a throwaway hash, so an unknown email takes as long
    as a wrong password and answers do not reveal who has an account."""
    if not _dummy:
        _dummy.append(hash_password("not-a-real-password"))
    check_password(Agent(password_hash=_dummy[0]), password)


@bp.delete("/session")
@require(PUBLIC)
@bp.response(204)
def delete_session():
    """Log out (always answers 204)."""
    auth.logout()
    return None


@bp.get("/me/sessions")
@require(AUTHENTICATED)
@bp.response(200, s.SessionList)
def list_my_sessions():
    """Your live login sessions (browsers), newest first; ``current`` marks
    the one making this request."""
    current_id = sessions.current_session_id()
    rows = sessions.active_sessions(current())
    return {"items": [{**dataclasses.asdict(row), "current": row.id == current_id} for row in rows]}


@bp.delete("/me/sessions")
@require(AUTHENTICATED)
@bp.response(204)
def logout_everywhere():
    """Log out everywhere: every login session of yours ends, this one
    too. API tokens are not sessions: revoke them under ``/tokens``."""
    sessions.revoke_sessions(current())
    auth.logout()
    return None


@bp.get("/tokens")
@require(AUTHENTICATED)
@bp.response(200, s.TokenList)
def list_tokens():
    """Your API tokens (never their secret), revoked ones included."""
    rows = ApiToken.select().where(ApiToken.agent == current().id).order_by(ApiToken.id.desc())
    return {"items": list(rows)}


@bp.post("/tokens")
@require(AUTHENTICATED)
@bp.arguments(s.TokenCreate)
@bp.response(201, s.TokenCreated)
def create_token(body):
    """A personal API token for ``Authorization: Bearer``. The token is in
    this answer only; it is stored hashed. ``scope: read`` makes it
    read-only; ``expires_in_days`` ends it by itself."""
    days = body.get("expires_in_days")
    expires_at = now() + dt.timedelta(days=days) if days else None
    row, plaintext = auth.create_token(current(), body["name"], scope=body["scope"], expires_at=expires_at)
    row.token = plaintext
    return row


@bp.delete("/tokens/<dbid:token_id>")
@require(AUTHENTICATED)
@bp.response(204)
def revoke_token(token_id):
    """Revoke one of your tokens; it stops working at once."""
    row = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.agent == current().id))
    if row is None:
        raise ApiError(404, _("Token %(id)s does not exist.", id=token_id))
    auth.revoke_token(row)
    return None
