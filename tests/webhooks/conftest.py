"""Fixtures for the webhooks plugin's tests: the plugin switched on, and a
real receiver (a threaded ``http.server`` on 127.0.0.1) that checks every
request with the verification recipe of docs/webhooks.md, run as written."""

import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.plugin import get_plugins

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "webhooks.md")


def recipe():
    """The namespace of the docs' "Verifying a request" Python block."""
    text = open(DOC, encoding="utf-8").read()
    section = text.split("## Verifying a request", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, DOC, "exec"), namespace)
    return namespace


class Receiver:
    """An HTTP receiver on 127.0.0.1 (or ``host``, on ``port``; over TLS
    with ``tls``, an ``ssl.SSLContext``). Each request is checked with the
    docs' ``verify_webhook`` under ``secret`` (at the test clock's time):
    a bad one is answered 400. ``answer(status, times)`` scripts failures;
    ``received`` holds ``(headers, body, event or None)``; ``server_names``
    the TLS server names (SNI) clients asked for."""

    def __init__(self, clock, host="127.0.0.1", port=0, tls=None):
        self.clock = clock
        self.secret = None
        self.received = []
        self.server_names = []
        self.scripted = []
        self.recipe = recipe()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = receiver.recipe["verify_webhook"](
                        receiver.secret, self.headers, body, now=receiver.clock.now().timestamp()
                    )
                except receiver.recipe["InvalidWebhook"]:
                    event = None
                receiver.received.append((dict(self.headers), body, event))
                status, payload = receiver.scripted.pop(0) if receiver.scripted else (204, b"")
                if event is None:
                    status, payload = 400, b"bad signature"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/hooks"
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://{host}:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, status, body=b"", times=1):
        self.scripted.extend([(status, body)] * times)

    @property
    def events(self):
        """The verified events, oldest first."""
        return [event for _, _, event in self.received if event is not None]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def helpline_config():
    # The receiver lives on 127.0.0.1: the operator switch that allows it.
    return {"WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": True}


@pytest.fixture
def receiver(clock):
    # The clock gives the receiver's "now"; make it aware UTC for timestamp().
    server = Receiver(_AwareClock(clock))
    yield server
    server.close()


@pytest.fixture
def make_receiver(clock):
    """Start more receivers: ``make_receiver(host=..., port=..., tls=...)``."""
    started = []

    def make(**options):
        started.append(Receiver(_AwareClock(clock), **options))
        return started[-1]

    yield make
    for server in started:
        server.close()


class _AwareClock:
    def __init__(self, clock):
        self.clock = clock

    def now(self):
        import datetime as dt

        return self.clock.now().replace(tzinfo=dt.UTC)


@pytest.fixture
def webhooks(app):
    """The plugin on; returns its manager."""
    plugins = get_plugins()
    plugins.set_enabled("webhooks", True)
    return plugins


@pytest.fixture
def owner(make_agent):
    return make_agent(role="owner", password=None)


@pytest.fixture
def endpoint(webhooks, receiver, owner):
    """An endpoint on the receiver, subscribed to every event; the receiver
    knows its secret."""
    from plugins.webhooks import service
    from plugins.webhooks.events import EVENT_TYPES

    row = service.create_endpoint(receiver.url, sorted(EVENT_TYPES), "CRM", actor=owner)
    receiver.secret = row.secret
    return row
