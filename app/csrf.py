"""CSRF protection for cookie-authenticated requests (the UI and its
scripts). Requests with an ``Authorization`` header (API tokens) and views or
blueprints marked with :func:`exempt` (webhooks, the chat widget) skip it.
Forms send ``csrf_token``; scripts send the ``X-CSRFToken`` header."""

from flask import current_app, request
from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()
_exempt = set()

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def exempt(view_or_blueprint):
    """Mark a view function or a blueprint as not needing a CSRF token
    (it authenticates otherwise: a signature, a signed token)."""
    name = getattr(view_or_blueprint, "name", None)
    if name and hasattr(view_or_blueprint, "deferred_functions"):
        _exempt.add(("bp", name))
    else:
        _exempt.add(("view", f"{view_or_blueprint.__module__}.{view_or_blueprint.__name__}"))
    return view_or_blueprint


def _is_exempt():
    if any(("bp", name) in _exempt for name in request.blueprints):
        return True
    view = current_app.view_functions.get(request.endpoint)
    return view is not None and ("view", f"{view.__module__}.{view.__name__}") in _exempt


def init_app(app):
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = generate_csrf

    @app.before_request
    def _check_csrf():
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.method not in UNSAFE:
            return
        if request.headers.get("Authorization") or _is_exempt():
            return
        csrf.protect()
