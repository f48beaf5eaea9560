"""Browser testing with Debian's Chromium through Playwright (never a
downloaded browser build): the app served from a thread on an ephemeral
127.0.0.1 port, pages that fail the test on any console or page error, and
running code "from outside" (as a webhook or a worker would) in a thread.

Fixtures (from the ``helpline`` pytest plugin): ``browser`` (one Chromium per
run, or per xdist worker; a fresh context per page), ``live_server``
(``.url``), ``pages`` (``pages.new()``, ``pages.login(agent)``),
``wait_live``, ``outside``, ``test_timeout``.
Playwright is imported only when a browser fixture is used, so plugin suites
without browser tests don't need it.

Every wait scales with one suite-wide factor (:func:`timeout_factor`), so a
loaded machine slows the suite down instead of failing it: Playwright's
actions, navigations and ``expect`` use :data:`BASE_TIMEOUT` times the factor,
and other waits (an event queue, an HTTP call) ask ``test_timeout(seconds)``.
"""

import functools
import os
import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach
# Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


#: Playwright's timeout for one action, navigation or ``expect`` (seconds) before the factor.
BASE_TIMEOUT = 8.0


@functools.cache
def timeout_factor() -> float:
    """The suite-wide factor for every wait: ``HELPLINE_TEST_TIMEOUT_FACTOR``
    when set; otherwise the load average per core when the suite started
    (at least 1, at most 10), since a machine shared by other jobs answers slower."""
    configured = os.environ.get("HELPLINE_TEST_TIMEOUT_FACTOR")
    if configured:
        return max(float(configured), 0.1)
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        load = 1.0
    return min(max(load, 1.0), 10.0)


def scaled(seconds: float) -> float:
    """``seconds`` times the suite-wide factor: for waits Playwright does not make."""
    return seconds * timeout_factor()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class LiveServer:
    """A WSGI app served from a daemon thread on 127.0.0.1:<ephemeral>."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()

    def __str__(self):
        return self.url

    def close(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


class Pages:
    """Opens browser pages (one context each, so each has its own login) and
    records console and page errors for all of them."""

    def __init__(self, browser, base, app):
        self.browser, self.base, self.app = browser, base, app
        self.errors = []
        self.contexts = []

    def new(self, **context_options):
        options = {"viewport": {"width": 1200, "height": 800}, "base_url": self.base, **context_options}
        context = self.browser.new_context(**options)
        context.set_default_timeout(scaled(BASE_TIMEOUT) * 1000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def login(self, agent, form=False, password=None, start="/inbox/mine"):
        """A page logged in as ``agent`` showing ``start`` (My inbox).
        ``form=True`` goes through the login form with ``password`` (the
        factories' default); otherwise the session cookie is set directly,
        sparing a slow password check."""
        from .factories import PASSWORD

        page = self.new()
        if form:
            page.goto("/login")
            page.get_by_label("Email").fill(agent.email)
            page.get_by_label("Password").fill(password or PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/inbox/mine")
            if start != "/inbox/mine":
                page.goto(start)
        else:
            from ..services import sessions

            serializer = self.app.session_interface.get_signing_serializer(self.app)
            cookie = serializer.dumps({"sid": sessions.start(agent, ip="127.0.0.1", user_agent="test browser")})
            page.context.add_cookies(
                [{"name": self.app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": self.base}]
            )
            page.goto(start)
        if start.startswith("/inbox") or start.startswith("/t/"):
            wait_live(page)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def wait_live(page):
    """Wait until an agent page's scripts run and its event stream is open.

    Pages forbid ``eval`` (the CSP), so ``wait_for_function`` takes an arrow
    function, never a bare expression string, which Playwright would eval."""
    page.wait_for_function("() => document.body.dataset.live === '1'")


def run_outside(app, fn, *args, **kwargs):
    """Run ``fn`` in another thread with its own app context and database
    connection, as a webhook or a worker would; re-raise its exception here."""
    from ..db import connection

    result, failure = [], []

    def target():
        try:
            with app.app_context(), connection():
                result.append(fn(*args, **kwargs))
        except BaseException as exc:  # re-raised in the test thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    if failure:
        raise failure[0]
    return result[0] if result else None
