"""A fake outside provider for channel tests: a real HTTP server on
127.0.0.1 (an ephemeral port) that records every request and answers as the
test tells it, including errors and slowness.

Fixture (from the ``helpline`` pytest plugin): ``fake_provider``. Point the
channel's settings at ``fake_provider.url``; read what it received from
``fake_provider.requests``; script its next answers with :meth:`respond`,
:meth:`fail` and :meth:`hang`, or play a provider's API shape with
:meth:`answer_with`.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

#: Request bodies above this are refused with 413 (a runaway client).
MAX_BODY = 10 * 1024 * 1024


@dataclasses.dataclass
class RecordedRequest:
    """One request as the provider received it."""

    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def form(self):
        """A form-encoded body as ``{name: first value}`` (empty when it is not one)."""
        try:
            text = self.body.decode()
        except UnicodeDecodeError:
            return {}
        return {key: values[0] for key, values in parse_qs(text).items()}

    def header(self, name, default=None):
        """A header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), default)


@dataclasses.dataclass
class Answer:
    """What the provider answers to one request. ``delay`` seconds pass
    before it answers (a slow provider; closing the server cuts it short)."""

    status: int = 200
    json: object = None
    body: bytes | None = None
    headers: dict = dataclasses.field(default_factory=dict)
    delay: float = 0.0


class FakeProvider:
    """A local HTTP server standing in for a provider's API.

    Every request (any method, any path) is recorded in :attr:`requests`
    before it is answered. Scripted answers are used first, oldest first;
    then the default: 200 with ``{"id": "fake-<n>"}``, a fresh id each time
    (or what :meth:`answer_with`'s function answers).
    """

    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self._script: list[Answer] = []
        self._default: Answer | Callable[[RecordedRequest], Answer] | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._send(Answer(413, json={"error": "too large"}))
                    return
                body = self.rfile.read(length) if length else b""
                recorded = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
                self._send(provider._record(recorded))

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def _send(self, answer):
                if answer.delay and provider._closing.wait(answer.delay):
                    return  # the server is closing: drop the slow answer
                payload = answer.body if answer.body is not None else json.dumps(answer.json).encode()
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self):
        """The server's base address, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def _record(self, request):
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.pop(0)
            default = self._default
            if callable(default):
                return default(request)
            if default is not None:
                return default
            return Answer(200, json={"id": f"fake-{next(self._ids)}"})

    def respond(self, status=200, json=None, body=None, headers=None, delay=0.0, times=1):
        """Answer the next ``times`` requests like this (``times=None``:
        every request from now on, unless something is scripted first)."""
        answer = Answer(status, json, body, dict(headers or {}), delay)
        with self._lock:
            if times is None:
                self._default = answer
            else:
                self._script.extend([answer] * times)
        return answer

    def answer_with(self, answer):
        """Answer every request that nothing is scripted for with
        ``answer(request)`` (a :class:`RecordedRequest` in, an
        :class:`Answer` out): a provider's own API shape, such as fresh ids
        under its own key or a refusal of bad credentials. Scripted answers
        still come first."""
        with self._lock:
            self._default = answer

    def fail(self, status=503, times=1, message="unavailable"):
        """Answer the next ``times`` requests with an error status."""
        return self.respond(status, json={"error": message}, times=times)

    def hang(self, seconds, times=1):
        """Answer the next ``times`` requests only after ``seconds`` (longer
        than the client's timeout, to make it time out)."""
        return self.respond(200, json={"id": "late"}, delay=seconds, times=times)

    def close(self):
        """Stop the server and release any answer still waiting."""
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
