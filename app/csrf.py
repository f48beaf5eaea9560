"""CSRF protection, with Flask-WTF. Every unsafe request is checked after
routing (a request to a route that does not exist answers 404, never a CSRF
error), except views marked with Flask-WTF's own :func:`exempt`:

* views guarded by ``app.auth.require``, which checks the token itself once
  it knows who is asking (no credentials: 401; a Bearer token: no token
  needed; a session cookie: the token is needed);
* webhooks and the chat widget, which authenticate otherwise (a signature,
  a signed visitor token).

Forms send ``csrf_token``; scripts send the ``X-CSRFToken`` header."""

from flask import current_app, request, session
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

#: Mark a view function or a blueprint as not needing a CSRF token.
exempt = csrf.exempt


def protect_session():
    """Check the token of an unsafe request that borrows the session
    cookie's identity; a Bearer token, or a request without a logged-in
    session, has nothing a forged request could borrow."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.headers.get("Authorization") or not session.get("sid"):
        return
    csrf.protect()


def init_app(app):
    """Flask-WTF's check before every request (after routing). Register it
    after the hooks that must answer first (a disabled plugin's 404)."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
