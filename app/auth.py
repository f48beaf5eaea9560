"""Who is asking: a session cookie (the UI) or ``Authorization: Bearer``
(the API). Tokens are stored as SHA-256 digests; passwords with argon2."""

from __future__ import annotations

import functools
import hashlib
import secrets

from flask import abort, jsonify, request, session
from flask_babel import gettext as _

from .clock import now
from .models import Agent, ApiToken
from .permissions import can
from .plugins import request_cache

TOKEN_PREFIX = "hl_"


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(agent, name):
    """Returns ``(ApiToken row, plaintext)``; the plaintext is never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(
        agent=agent, name=(name or "token")[:120], token_hash=token_digest(plaintext), prefix=plaintext[:10]
    )
    return row, plaintext


def _agent_from_token(header):
    if not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    if not token:
        return None
    row = (
        ApiToken.select(ApiToken, Agent)
        .join(Agent)
        .where((ApiToken.token_hash == token_digest(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    at = now()
    if row.last_used_at is None or (at - row.last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=at).where(ApiToken.id == row.id).execute()
    return row.agent


def current_agent() -> Agent | None:
    cache = request_cache()
    if "agent" in cache:
        return cache["agent"]
    agent = None
    header = request.headers.get("Authorization", "")
    if header:
        agent = _agent_from_token(header)
    elif session.get("agent_id"):
        agent = Agent.get_or_none((Agent.id == session["agent_id"]) & (Agent.is_active == True))
        if agent is not None and session.get("pw") != agent.password_hash[-16:]:
            agent = None  # password changed since login: sessions end
    if agent is not None and not agent.is_active:
        agent = None
    cache["agent"] = agent
    return agent


def login(agent):
    session.clear()
    session["agent_id"] = agent.id
    session["pw"] = agent.password_hash[-16:]
    session.permanent = True
    request_cache()["agent"] = agent


def logout():
    session.clear()
    request_cache()["agent"] = None


def require(permission="inbox", json=True):
    """View decorator: 401 without a login, 403 when the role lacks
    ``permission``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            agent = current_agent()
            if agent is None:
                if json:
                    return jsonify(error={"code": "unauthorized", "message": _("Log in first.")}), 401
                abort(401)
            if not can(agent, permission):
                if json:
                    return jsonify(error={"code": "forbidden", "message": _("Your role does not allow this.")}), 403
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
