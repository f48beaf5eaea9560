"""Rate limits on public entries, with flask-limiter: counts in memory by
default, in Redis when ``RATELIMIT_STORAGE_URI=redis://...`` so every process
shares them; ``RATELIMIT_ENABLED=False`` turns them off (the test kit does,
tests of the limits turn them back on).

Signed provider webhooks (Twilio, the mail provider) are deliberately not
limited: a provider's burst must never be refused, since Twilio does not
retry a refused inbound message; a request with a bad signature costs one
HMAC and is answered 403.
"""

import functools
import logging

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

log = logging.getLogger(__name__)

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def unlimited(view):
    """Mark a view that no rate limit applies to, such as a signed provider
    webhook (see above): flask-limiter then skips it before resolving any
    limit, which a provider's burst would otherwise pay on every request."""
    view.helpline_unlimited = True
    return view


@limiter.request_filter
def _unlimited_view():
    # Asked up to four times a request (three hooks and this filter): kept
    # in the request's environ after the first.
    environ = request.environ
    unlimited = environ.get("helpline.unlimited")
    if unlimited is None:
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        unlimited = environ["helpline.unlimited"] = getattr(view, "helpline_unlimited", False)
    return unlimited


def login_limit():
    """Password attempts per client address (the API session and the UI form)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def limit_logins(methods=None):
    """Decorator for every view that checks a password: one shared counter
    per client address, so the API and the UI form cannot be played off
    against each other."""
    return limiter.shared_limit(login_limit, scope="login", methods=methods)


def password_link_limit():
    """Password resets, invitation links and password changes per client address."""
    return current_app.config["PASSWORD_LINK_RATE_LIMIT"]


def limit_password_links(methods=None):
    """Decorator for the password pages: one counter per client address, so
    reset mail cannot be used to flood an inbox or guess a password."""
    return limiter.shared_limit(password_link_limit, scope="password-link", methods=methods)


def public_limit():
    """Anonymous public pages such as short-link redirects."""
    return current_app.config["PUBLIC_RATE_LIMIT"]


@functools.lru_cache(maxsize=64)
def _parsed(limit):
    return parse(limit)


def within_limit(scope, key, limit):
    """Count one request of ``key`` (a client address, a conversation id)
    in ``scope`` against ``limit`` (flask-limiter's notation, e.g.
    ``"30 per minute"``); False once the limit is passed. For limits whose
    key is known only inside the view (after a token check). The counts are
    the limiter's own (in Redis at scale), so every process and host shares
    them; always True while rate limits are off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    identifiers = [prefix, scope, str(key)] if prefix else [scope, str(key)]
    try:
        return limiter.limiter.hit(_parsed(limit), *identifiers)
    except Exception:
        if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
            raise
        # The operator chose availability over the limit when storage fails.
        log.exception("rate limit storage failed; %s %s let through", scope, key)
        return True


def init_app(app):
    app.config.setdefault("LOGIN_RATE_LIMIT", "10 per minute")
    app.config.setdefault("PASSWORD_LINK_RATE_LIMIT", "5 per 15 minutes")
    app.config.setdefault("PUBLIC_RATE_LIMIT", "300 per minute")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    _skip_for_unlimited_views(app)


def _limiter_hooks(app):
    """flask-limiter's three per-request hooks on ``app``, as registered by
    its ``init_app``: ``(list, index)`` pairs for before, after, teardown."""
    found = []
    for funcs, is_its_own in (
        (app.before_request_funcs.get(None, []), lambda f: f == limiter._check_request_limit),
        (app.after_request_funcs.get(None, []), lambda f: getattr(f, "args", None) == (limiter,)),
        (app.teardown_request_funcs.get(None, []), lambda f: getattr(f, "__self__", None) is limiter),
    ):
        found.extend((funcs, i) for i, f in enumerate(funcs) if is_its_own(f))
    return found


def _skip_for_unlimited_views(app):
    """Run flask-limiter's before, after and teardown hooks only for views
    a limit may apply to. For an ``unlimited`` view they resolve an empty
    set of limits, add no header and reset an empty context, which cost
    about 0.1 ms of CPU on every provider webhook (issue 16); the request
    filter above stays for limits a view's own decorator checks."""
    for funcs, index in _limiter_hooks(app):
        hook = funcs[index]

        def guarded(*args, _hook=hook):
            if _unlimited_view():
                return args[0] if args else None  # an after_request hook hands the response on
            return _hook(*args)

        guarded.helpline_limiter_hook = hook
        funcs[index] = guarded
