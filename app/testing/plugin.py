"""Pytest fixtures for Helpline and its plugins (the ``pytest11`` entry
point ``helpline``). A plugin package gets them by installing helpline:

* ``app``: a fresh app per test on a migrated database, with immediate
  tasks, strict plugin loading and a frozen ``clock``; an app context and a
  database connection are active during the test.
* ``client``, ``login`` (log a test client in as an agent), ``make_agent``.
* ``register_plugin``: register a plugin object for one test.
* ``hook_recorder``: records every event hook call.
* ``fake_channel``: a channel plugin with an in-memory outbox.
* ``fake_provider``: a local HTTP server standing in for a provider's API;
  ``retry_outbox``: run the outbox's due retries now.
* ``fake_shopify``: a local fake Shopify Admin API (``app.testing.shopify``).
* ``fake_commerce``: a commerce provider plugin with an in-memory shop.
* ``stream_server``: ``helpline streams`` (the async stream server) on
  127.0.0.1; needs ``EVENTS_URL`` set to Redis in ``helpline_config``.

Set ``HELPLINE_DATABASE_URL=postgresql://...`` to run on PostgreSQL (the
database is created if missing, emptied between tests). Under pytest-xdist
(``-n 2``) each worker gets its own database, named after the worker
(``<name>_gw0``...), and its own temporary folders; the kit works the same
without xdist. Set the ini option
``helpline_only_plugins = myplugin`` (or ``HELPLINE_ONLY_PLUGINS``) to load
only the plugins under test, so an unrelated broken plugin installed in the
same environment cannot fail every test.
"""

import os
import shutil

import pytest

from ..clock import FrozenClock
from . import database, factories
from .fake import FakeChannelPlugin
from .recorder import HookRecorder


def pytest_addoption(parser):
    parser.addini(
        "helpline_only_plugins",
        "Plugins (comma separated) the app fixture loads besides the core; empty loads every installed plugin. "
        "The HELPLINE_ONLY_PLUGINS environment variable takes precedence.",
        default="",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # An xdist worker: its own PostgreSQL database (and so its own Redis
    # prefix), before any fixture or test reads the environment.
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        database.isolate_worker(worker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Every app a test builds (the ``app`` fixture's, or its own through
    ``create_app``) gives its pooled PostgreSQL connections back when the
    test ends: a suite of many tests must not hold one server session per app
    until the server refuses clients."""
    from ..db import close_pool, pools

    before = pools()
    yield
    for pooled in pools() - before:
        close_pool(pooled)


def only_plugins(config):
    """The plugins the kit's apps load: ``HELPLINE_ONLY_PLUGINS``, else the
    ``helpline_only_plugins`` ini option; empty means all."""
    return os.environ.get("HELPLINE_ONLY_PLUGINS") or config.getini("helpline_only_plugins")


@pytest.fixture(scope="session")
def helpline_database(tmp_path_factory, pytestconfig):
    """Session-wide database preparation: ``(kind, url, template_path)``."""
    url = database.backend_url()
    base = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "HUEY_IMMEDIATE": True,
        "STRICT_PLUGINS": True,
        "ONLY_PLUGINS": only_plugins(pytestconfig),
    }
    if url:
        database.ensure_postgres_database(url)
        database.reset_postgres_schema(url)
        database.migrate_fresh({**base, "DATABASE_URL": url})
        return ("postgres", url, None)
    folder = tmp_path_factory.mktemp("helpline-template")
    template = os.path.join(folder, "template.sqlite3")
    app = database.migrate_fresh({**base, "DATABASE_URL": "sqlite:///" + template})
    db = app.extensions["helpline.db"]
    db.connect(reuse_if_open=True)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql("PRAGMA journal_mode=DELETE")
    db.close()
    return ("sqlite", None, template)


@pytest.fixture
def clock():
    """A frozen clock (2026-01-05 09:00 UTC); move it with ``clock.advance(hours=2)``."""
    return FrozenClock()


@pytest.fixture
def helpline_config():
    """Extra configuration for the test app; override in a conftest."""
    return {}


@pytest.fixture
def app(helpline_database, helpline_config, clock, tmp_path, pytestconfig):
    from .. import create_app
    from ..db import close_pool, db
    from ..ratelimit import limiter

    kind, url, template = helpline_database
    if kind == "sqlite":
        path = os.path.join(tmp_path, "helpline.sqlite3")
        shutil.copyfile(template, path)
        url = "sqlite:///" + path
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": url,
        "HUEY_IMMEDIATE": True,
        "STRICT_PLUGINS": True,
        "CLOCK": clock,
        "EVENTS_URL": os.environ.get("HELPLINE_EVENTS_URL"),
        "EVENTS_CHANNEL": f"helpline-test:{os.getpid()}:{tmp_path.name}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_COST": "low",
        "ONLY_PLUGINS": only_plugins(pytestconfig),
    }
    config.update(helpline_config)
    app = create_app(config)
    app.config["_TEST_INSTANCE_PATH"] = str(tmp_path)
    limits = bool(app.config.get("RATELIMIT_ENABLED"))
    if limits:
        # flask-limiter's Limiter is one object per process, and its storage
        # (Redis) outlives an app: every test starts from zero counts.
        limiter.reset()
    ctx = app.app_context()
    ctx.push()
    db.connect(reuse_if_open=True)
    if kind == "postgres":
        database.truncate_all(app)
    try:
        yield app
    finally:
        if not db.is_closed():
            db.close()
        close_pool(app.extensions["helpline.db"])  # this app's pooled connections go with it
        app.extensions["helpline.bus"].close()
        if limits:
            # A default limit (RATELIMIT_DEFAULT) would stay for the next app.
            limiter.limit_manager.set_default_limits([])
            limiter.reset()
        ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_agent(app):
    """``make_agent(role="support", presence=None, ...)`` creates an agent."""
    return factories.agent


@pytest.fixture
def login(app):
    """``login(client, agent)`` logs a test client in: a server-side session
    and its cookie, as the login form would make."""

    from ..services import sessions

    def do_login(client, agent):
        with client.session_transaction() as sess:
            sess["sid"] = sessions.start(agent, ip="127.0.0.1", user_agent="test client")
        return client

    return do_login


@pytest.fixture
def register_plugin(app):
    """``register_plugin(obj, name)``: the plugin is active for this test
    only; its blueprints are mounted too when it is registered before the
    test's first request (Flask accepts no new routes after that)."""
    plugins = app.extensions["helpline.plugins"]
    names = []

    def register(obj, name):
        info = plugins.register(obj, name)
        if not info.loaded:
            raise AssertionError(f"plugin {name} failed: {info.error}")
        names.append(name)
        _mount_routes(app, info)
        return obj

    yield register
    for name in reversed(names):
        plugins.unregister(name)


def _mount_routes(app, info):
    """Mount the blueprints of a plugin registered after the app was built,
    as ``create_app`` does for installed plugins (JSON APIs under
    ``/api/v1``)."""
    from flask_smorest import Blueprint as ApiBlueprint

    new = [bp for bp in info.blueprints if bp.name not in app.blueprints]
    try:
        for bp in new:
            if not isinstance(bp, ApiBlueprint):
                app.register_blueprint(bp)
        if any(isinstance(bp, ApiBlueprint) for bp in new):
            from ..api import mount_plugin_blueprints

            mount_plugin_blueprints(app)
    except AssertionError as exc:  # Flask: the app already served a request
        raise AssertionError(
            f"register plugin {info.name!r} before the test's first request, so its routes can be added"
        ) from exc


@pytest.fixture
def hook_recorder(register_plugin):
    """Records every event hook call: ``hook_recorder.calls("helpline_on_ticket_created")``."""
    return register_plugin(HookRecorder(), "hook-recorder")


@pytest.fixture
def fake_channel(register_plugin):
    """A channel plugin ``fake`` (one thread per sender, reopens closed tickets)."""
    return register_plugin(FakeChannelPlugin(), "fake-channel")


@pytest.fixture
def fake_commerce(register_plugin):
    """A commerce provider plugin ``fakeshop`` whose shop lives in memory
    (``app.testing.commerce.FakeCommercePlugin``)."""
    from .commerce import FakeCommercePlugin

    return register_plugin(FakeCommercePlugin(), "fake-commerce")


# --- browser tests (app.testing.browser) ------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for the whole run (per xdist worker), started when
    a test first needs it; every page opens in a fresh browser context
    (``pages``), so no cookie, storage or cache passes from test to test."""
    from playwright.sync_api import expect, sync_playwright

    from .browser import BASE_TIMEOUT, launch_chromium, scaled

    expect.set_options(timeout=scaled(BASE_TIMEOUT) * 1000)
    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture
def stream_server(app):
    """``helpline streams`` for the test app (agents' and plugins' streams) on
    an ephemeral port, its asyncio loop in a thread; yields its base URL. The
    app's ``EVENTS_URL`` must be Redis (set it in ``helpline_config``)."""
    import asyncio
    import threading

    from aiohttp import web

    from ..streams import make_app

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(app))
    started = threading.Event()
    state = {}

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        state["port"] = site._server.sockets[0].getsockname()[1]
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="stream-server", daemon=True)
    thread.start()
    assert started.wait(30), "the stream server did not start"
    yield f"http://127.0.0.1:{state['port']}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on 127.0.0.1; ``live_server.url``."""
    from .browser import LiveServer

    server = LiveServer(app)
    yield server
    server.close()


@pytest.fixture
def pages(browser, live_server, app):
    """``pages.new()`` / ``pages.login(agent)`` open pages on the live server;
    the test fails on any console or page error in any of them."""
    from .browser import Pages

    opened = Pages(browser, live_server.url, app)
    yield opened
    opened.close()
    assert opened.errors == [], opened.errors


@pytest.fixture
def test_timeout():
    """``test_timeout(seconds)``: a wait scaled by the suite-wide factor
    (``HELPLINE_TEST_TIMEOUT_FACTOR``, else the load per core), for waits
    Playwright does not make (an event queue, an HTTP call from a test)."""
    from .browser import scaled

    return scaled


@pytest.fixture
def replay(app):
    """``replay(deliver, keys, times=10, workers=10)`` delivers each of
    ``keys`` ``times`` times, shuffled, from ``workers`` threads at once, as
    a provider retrying in parallel does: ``deliver(client, key)`` posts one
    delivery with that thread's own test client and returns the response
    (or a status code, for a protocol other than HTTP). Returns the status
    codes. Each thread has its own database connection."""
    import random
    import threading

    from ..db import db

    def run(deliver, keys, times=10, workers=10):
        jobs = [key for key in keys for _ in range(times)]
        random.Random(0).shuffle(jobs)
        codes, failures, lock, start = [], [], threading.Lock(), threading.Barrier(workers)

        def work(share):
            client = app.test_client()
            start.wait()
            try:
                for key in share:
                    answer = deliver(client, key)
                    status = getattr(answer, "status_code", answer)
                    with lock:
                        codes.append(status)
            except BaseException as exc:  # re-raised in the test's thread
                failures.append(exc)
            finally:
                if not db.is_closed():
                    db.close()

        threads = [threading.Thread(target=work, args=(jobs[i::workers],)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return codes

    return run


@pytest.fixture(name="wait_live")
def wait_live_fixture():
    """``wait_live(page)``: an agent page's scripts run and its stream is open."""
    from .browser import wait_live

    return wait_live


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture():
    """``assert_accessible(page)``: no serious or critical axe-core violation
    on the page as shown now (app.testing.accessibility)."""
    from .accessibility import assert_accessible

    return assert_accessible


@pytest.fixture
def outside(app):
    """``outside(fn, *args)`` runs ``fn`` in another thread with its own app
    context and database connection, as a webhook or a worker would."""
    from .browser import run_outside

    return lambda fn, *args, **kwargs: run_outside(app, fn, *args, **kwargs)


# --- email (app.testing.mail) -------------------------------------------------


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1:<ephemeral>; ``.messages`` holds
    ``(recipients, EmailMessage)`` pairs."""
    from .mail import SmtpSink

    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def email_sender(register_plugin, smtp_sink):
    """Notification email (``helpline_send_email``) goes to ``smtp_sink``,
    which is returned."""
    from .mail import EmailSender

    register_plugin(EmailSender(smtp_sink.port), "test-email-sender")
    return smtp_sink


# --- outside providers (app.testing.provider) ---------------------------------


@pytest.fixture
def fake_provider():
    """A real HTTP server on 127.0.0.1:<ephemeral> standing in for a
    provider's API: ``.url``, ``.requests`` (method, path, headers, body,
    ``.json``, ``.form``), ``.respond(...)`` / ``.fail(status)`` /
    ``.hang(seconds)`` to script its next answers and ``.answer_with(f)``
    for a provider's own answer shape."""
    from .provider import FakeProvider

    provider = FakeProvider()
    yield provider
    provider.close()


@pytest.fixture
def retry_outbox(app):
    """``retry_outbox()`` runs the core's periodic outbox retry now (as the
    minute task would) and returns how many replies it attempted; move the
    ``clock`` past the backoff first."""
    from ..services.outbox import retry_due

    return retry_due


# --- commerce (app.testing.shopify) -------------------------------------------


@pytest.fixture
def fake_shopify(app, clock):
    """A fake Shopify shop on 127.0.0.1 on the test's clock. The app sends
    Admin API requests to it, and the client's waits move the clock."""
    from .shopify import FakeShopify

    fake = FakeShopify(clock=clock)
    app.config.update(SHOPIFY_ADMIN_ORIGIN=fake.url, SHOPIFY_SLEEP=fake.sleep)
    yield fake
    fake.close()
