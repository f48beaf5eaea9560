"""Who is asking: a session cookie (the UI) or ``Authorization: Bearer``
(the API), and :func:`require`, the one login and permission check of every
view. Tokens are stored as SHA-256 digests; passwords with argon2."""

from __future__ import annotations

import copy
import functools
import hashlib
import secrets

from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext as _

from .clock import now
from .csrf import exempt as csrf_exempt
from .csrf import protect_session
from .db import ShapedStatement
from .errors import wants_json
from .models import Agent, ApiToken
from .permissions import AUTHENTICATED, PUBLIC, can, check_known, permissions
from .plugins import request_cache
from .services import Forbidden, audit, sessions
from .validation import refuse_body_that_is_not_json

TOKEN_PREFIX = "hl_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(agent, name, scope="full", expires_at=None):
    """Returns ``(ApiToken row, plaintext)``; the plaintext is never stored.
    ``scope="read"`` allows only GET/HEAD/OPTIONS; ``expires_at`` (naive
    UTC) ends it by itself."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(
        agent=agent,
        name=(name or "token")[:120],
        token_hash=token_digest(plaintext),
        prefix=plaintext[:10],
        scope=scope,
        expires_at=expires_at,
    )
    audit.record(
        "token.created",
        target=agent.email,
        details={"token": row.prefix, "name": row.name, "scope": scope, "expires_at": expires_at},
    )
    return row, plaintext


def revoke_token(row):
    """Revoke a token (it stops working at once); revoking twice is a no-op."""
    if row.revoked_at is None:
        ApiToken.update(revoked_at=now()).where(ApiToken.id == row.id).execute()
        audit.record("token.revoked", target=row.agent.email, details={"token": row.prefix, "name": row.name})


def _agent_from_token(header):
    if not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    if not token:
        return None
    # Looked up on every API request (a revoked or expired token stops at
    # once), so its SQL is built once: the agent with the token's columns.
    agent = _TOKEN_AGENT.first(None, {"digest": token_digest(token)})
    if agent is None:
        return None
    expires_at, last_used_at = agent.token_expires_at, agent.token_last_used_at
    at = now()
    if expires_at is not None and expires_at <= at:
        return None
    request_cache()["token_scope"] = agent.token_scope
    if last_used_at is None or (at - last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=at).where(ApiToken.id == agent.token_id).execute()
    return agent


_TOKEN_AGENT = ShapedStatement(
    lambda shape, values: (
        Agent.select(
            Agent,
            ApiToken.id.alias("token_id"),
            ApiToken.scope.alias("token_scope"),
            ApiToken.expires_at.alias("token_expires_at"),
            ApiToken.last_used_at.alias("token_last_used_at"),
        )
        .join(ApiToken, on=(ApiToken.agent == Agent.id))
        .where((ApiToken.token_hash == values["digest"]) & ApiToken.revoked_at.is_null())
        .objects()  # the token's columns on the agent
    )
)


def current_agent() -> Agent | None:
    """The agent making the current request (a session cookie or an API
    token), or None: not logged in, deactivated, or the session ended
    (logout, timeouts, revoked). Looked up once per request.
    """
    cache = request_cache()
    if "agent" in cache:
        return cache["agent"]
    agent = None
    header = request.headers.get("Authorization", "")
    if header:
        agent = _agent_from_token(header)
    elif session.get("sid"):
        agent = sessions.resolve(session["sid"])
    if agent is not None and not agent.is_active:
        agent = None
    cache["agent"] = agent
    g.audit_actor = agent  # services' audit entries name who asked
    return agent


def login(agent):
    """Start a server-side session for ``agent`` in this browser; a session
    id the browser had before is dropped (no fixation)."""
    sessions.end(session.get("sid"))
    session.clear()
    session["sid"] = sessions.start(
        agent, ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", "")
    )
    session.permanent = True
    request_cache()["agent"] = agent


def logout():
    """End this browser's session, server-side too: the old cookie is refused."""
    sessions.end(session.get("sid"))
    session.clear()
    request_cache()["agent"] = None


def require(permission="inbox", csrf=True):
    """The one login and permission check, for pages and JSON alike: put it
    right below the route (on flask-smorest views too, above
    ``@bp.arguments``).

    ``permission`` is a declared permission (``app.permissions``, or a
    plugin's from ``helpline_register_permissions``), ``PUBLIC`` (anyone) or
    ``AUTHENTICATED`` (any active agent). Without a login a page redirects to
    the login form and JSON answers 401; a role without the permission gets
    403 (the error page, or JSON). A cookie-authenticated unsafe request
    needs its CSRF token (400 ``csrf_failed``), checked after the login so a
    request without credentials answers 401 and a Bearer token never needs
    one; ``csrf=False`` only for a view that cannot be forged cross-site
    (the JSON login). On a flask-smorest view the permission and its 401/403
    answers are recorded in the OpenAPI document (``x-permission``)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            agent = None if permission == PUBLIC else current_agent()
            if agent is None and permission != PUBLIC:
                if wants_json():
                    abort(401)
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if csrf:
                protect_session()
            if request.method not in SAFE_METHODS and request_cache().get("token_scope") == "read":
                raise Forbidden(_("This API token is read-only."), code="read_only_token")
            if permission not in (PUBLIC, AUTHENTICATED) and not can(agent, permission):
                raise Forbidden()
            refuse_body_that_is_not_json(view)
            return view(*args, **kwargs)

        wrapped._apidoc = _documented(getattr(view, "_apidoc", {}), permission)
        wrapped.required_permission = permission
        csrf_exempt(wrapped)  # Flask-WTF's own check would run before the login is known
        return wrapped

    return decorator


def _documented(apidoc, permission):
    doc = copy.deepcopy(apidoc)
    manual = doc.setdefault("manual_doc", {})
    manual["x-permission"] = permission
    if permission == PUBLIC:
        manual["security"] = []
        return doc
    responses = manual.setdefault("responses", {})
    responses["401"] = "UNAUTHORIZED"
    if permission != AUTHENTICATED:
        responses["403"] = "FORBIDDEN"
    manual["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
    return doc


def check_required_permissions(app):
    """Fail loudly at startup when a plugin's permissions cannot be
    registered or a view requires a permission nobody declared (a typo would
    otherwise deny everyone at run time)."""
    with app.app_context():
        permissions()  # a plugin's broken declaration fails here, not at its first request
        for endpoint, view in app.view_functions.items():
            permission = getattr(view, "required_permission", None)
            if permission is not None:
                try:
                    check_known(permission)
                except LookupError as exc:
                    raise LookupError(f"view {endpoint!r}: {exc}") from None
