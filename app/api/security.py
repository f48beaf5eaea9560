"""Who may call an operation. Every API view is wrapped by :func:`requires`,
which checks the role matrix (``app.permissions``) before arguments are
parsed, and records the permission in the OpenAPI document as
``x-permission`` so the role test can walk every operation."""

from __future__ import annotations

import copy
import functools

from flask import current_app, request, session
from flask_babel import gettext as _

from ..auth import current_agent
from ..csrf import UNSAFE
from ..csrf import csrf as csrf_protect
from ..permissions import MATRIX, can
from .errors import ApiError

PUBLIC = "public"  # anyone, no login
AUTHENTICATED = "authenticated"  # any active agent, whatever the role


def requires(permission, csrf=True):
    """Decorate an API view (outermost, right below the route): 401 without a
    login, 403 when the role lacks ``permission`` (a key of
    ``app.permissions.MATRIX``, or ``PUBLIC`` / ``AUTHENTICATED``), 400 when a
    cookie-authenticated unsafe request lacks its CSRF token.

    CSRF is checked here rather than before every request, so that a
    request without any credentials answers 401 (not a CSRF error), and a
    Bearer token never needs one. ``csrf=False`` only for the login itself."""
    if permission not in MATRIX and permission not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if csrf:
                _check_csrf()
            if permission != PUBLIC:
                agent = current_agent()
                if agent is None:
                    raise ApiError(401, _("Log in first: a session cookie or an Authorization: Bearer token."))
                if permission != AUTHENTICATED and not can(agent, permission):
                    raise ApiError(403, _("Your role does not allow this."))
            return view(*args, **kwargs)

        doc = copy.deepcopy(getattr(view, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["x-permission"] = permission
        if permission != PUBLIC:
            responses = manual.setdefault("responses", {})
            responses["401"] = "UNAUTHORIZED"
            if permission != AUTHENTICATED:
                responses["403"] = "FORBIDDEN"
            manual["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
        else:
            manual["security"] = []
        wrapped._apidoc = doc
        return wrapped

    return decorator


def _check_csrf():
    if request.method not in UNSAFE or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.headers.get("Authorization") or not session.get("agent_id"):
        return  # a token, or no cookie identity: nothing a forged request could borrow
    csrf_protect.protect()


def agent():
    """The authenticated agent of this request (after :func:`requires`)."""
    return current_agent()
