"""Security headers on every response, and the session cookie's flags.

* ``Content-Security-Policy`` (``CONTENT_SECURITY_POLICY``: no inline
  script, no framing), ``X-Frame-Options: DENY``, ``X-Content-Type-Options:
  nosniff`` and ``Referrer-Policy`` on every response. A view may set its
  own CSP first (customer files add ``sandbox``); it is kept.
* Over https (directly, or as told by a proxy through ``PROXY_HOPS``) the
  session cookie is ``Secure`` and responses carry HSTS; it is always
  ``HttpOnly`` and ``SameSite=Lax``. The cookie lives no longer than the
  absolute session timeout; the session itself is server-side
  (:mod:`app.services.sessions`).
"""

import datetime as dt

from flask import request
from flask.sessions import SecureCookieSessionInterface

HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, ``Secure`` whenever the request came over
    https, so one configuration serves both a plain-http quickstart and a
    deployment behind a TLS proxy."""

    def get_cookie_secure(self, app):
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def open_session(self, app, request):
        # Flask builds the cookie's signing serializer and parses the Cookie
        # header before it looks for its cookie; most requests at volume
        # (provider webhooks, API calls with a token) send no cookie at all,
        # and an empty session needs neither.
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        # Nothing to store and nothing to remove: Flask would still work out
        # every cookie attribute first. Only the Vary header is left to add.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def add_headers(response):
    """The headers every response carries (``after_request``)."""
    from flask import current_app

    headers = response.headers
    # One pass over the response's few headers, then appends: werkzeug's
    # setdefault scans them again for each header (issue 16: every webhook).
    present = {name.lower() for name, _value in headers.items()}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    if "x-frame-options" not in present:
        headers.add("X-Frame-Options", "DENY")
    if "x-content-type-options" in present:
        headers["X-Content-Type-Options"] = "nosniff"
    else:
        headers.add("X-Content-Type-Options", "nosniff")
    if "referrer-policy" not in present:
        headers.add("Referrer-Policy", REFERRER_POLICY)
    if "strict-transport-security" not in present and request.is_secure:
        headers.add("Strict-Transport-Security", HSTS)
    return response


def remember_client():
    """The client's address for the audit log (after ``ProxyFix``, so
    behind a proxy it is the forwarded address)."""
    from flask import g

    g.client_ip = request.remote_addr or ""


def init_app(app):
    """Install the session cookie rules, the header hook and the audit
    log's client address."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(app.config["SESSION_MAX_HOURS"]))
    app.session_interface = SessionInterface()
    app.before_request(remember_client)
    app.after_request(add_headers)
