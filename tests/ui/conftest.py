"""Fixtures for the browser tests: one Chromium per module, the app served
from a thread on an ephemeral 127.0.0.1 port, pages that fail the test on
any console or page error, and helpers to act "from outside" in a thread."""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IMG_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over HTTP; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class Pages:
    """Opens browser pages (one context each, so each has its own login)
    and records console and page errors for all of them."""

    def __init__(self, browser, base):
        self.browser, self.base = browser, base
        self.errors = []
        self.contexts = []

    def new(self):
        context = self.browser.new_context(viewport={"width": 1200, "height": 800}, base_url=self.base)
        context.set_default_timeout(8000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def login(self, agent, password=None):
        from app.testing.factories import PASSWORD
        page = self.new()
        page.goto("/login")
        page.get_by_label("Email").fill(agent.email)
        page.get_by_label("Password").fill(password or PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/inbox/mine")
        wait_live(page)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def wait_live(page):
    """Wait until the page's event stream is connected."""
    page.wait_for_function("document.body.dataset.live === '1'")


@pytest.fixture(name="wait_live")
def wait_live_fixture():
    """``wait_live(page)``: the page's scripts run and its stream is open."""
    return wait_live


@pytest.fixture
def pages(browser, live_server):
    opened = Pages(browser, live_server)
    yield opened
    opened.close()
    assert opened.errors == [], opened.errors


@pytest.fixture
def outside(app):
    """``outside(fn, *args)`` runs ``fn`` in another thread with its own app
    context and database connection, as a webhook or a worker would."""
    from app.db import connection

    def run(fn, *args, **kwargs):
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
    return run


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` writes docs/img/name.png for the user guide."""
    def shoot(page, name):
        os.makedirs(IMG_DIR, exist_ok=True)
        page.screenshot(path=os.path.join(IMG_DIR, f"{name}.png"))
    return shoot
