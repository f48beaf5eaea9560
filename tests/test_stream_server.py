"""``helpline streams``: the agents' event stream from the asyncio server,
with the web app's own sessions, tokens and roles, fed by the Redis bus; and
plugins' stream routes (``helpline_register_streams``) beside it."""

import itertools
import json
import os

import pytest
import requests
from aiohttp import web
from flask import request

from app.auth import create_token
from app.bus import RedisBus
from app.plugin import Denied, NotFound, StreamRoute, hookimpl
from app.services import sessions
from app.streams import make_app

REDIS_URL = os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def helpline_config():
    return {"EVENTS_URL": REDIS_URL}


def _cookie(app, agent):
    """The session cookie the login form would set (a server-side session)."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"sid": sessions.start(agent, ip="127.0.0.1", user_agent="stream test")})
    return {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}


def _events(response):
    """Parsed SSE events of a streamed response (comments skipped)."""
    event = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "event" in event:
                yield event
            event = {}
        elif line.startswith("event: "):
            event["event"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])


def test_an_agent_session_receives_events_published_by_any_process(app, stream_server, make_agent):
    agent = make_agent(role="support")
    publisher = RedisBus(REDIS_URL, app.config["EVENTS_CHANNEL"])
    with requests.get(
        stream_server + "/events/stream?types=ticket.created&timeout=5",
        headers=_cookie(app, agent),
        stream=True,
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        publisher.publish({"type": "presence.changed", "data": {"agent_id": 1}})  # filtered out
        publisher.publish({"type": "ticket.created", "data": {"ticket_id": 42}})
        first = next(_events(response))
    assert first == {"event": "ticket.created", "data": {"ticket_id": 42}}


def test_streams_use_the_web_apps_login_and_roles(app, stream_server, make_agent):
    anonymous = requests.get(stream_server + "/events/stream", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"

    analyst = make_agent(role="analyst")
    denied = requests.get(stream_server + "/events/stream", headers=_cookie(app, analyst), timeout=30)
    assert denied.status_code == 403

    agent = make_agent(role="manager")
    _row, token = create_token(agent, "script")
    with requests.get(
        stream_server + "/events/stream?once=1&timeout=0.1",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=30,
    ) as ok:
        assert ok.status_code == 200

    stale = _cookie(app, agent)
    agent.is_active = False
    agent.save()
    assert requests.get(stream_server + "/events/stream", headers=stale, timeout=30).status_code == 401

    bad = requests.get(
        stream_server + "/events/stream?timeout=nope", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert bad.status_code == 401  # the token's agent is deactivated: login is checked first


def test_bad_query_arguments_answer_422(app, stream_server, make_agent):
    agent = make_agent(role="owner")
    bad = requests.get(stream_server + "/events/stream?timeout=nope", headers=_cookie(app, agent), timeout=30)
    assert bad.status_code == 422
    assert "timeout" in bad.json()["error"]["fields"]


def test_the_stream_server_needs_the_redis_bus(app):
    app.config["EVENTS_URL"] = None
    with pytest.raises(RuntimeError, match="HELPLINE_EVENTS_URL"):
        make_app(app)


class EchoStreams:
    """A plugin with a stream route of each kind (an async generator of
    events and an async function answering itself)."""

    @hookimpl
    def helpline_register_streams(self):
        return [
            StreamRoute("/api/v1/echo/{ticket:[0-9]{1,9}}/stream", self.echo),
            StreamRoute("/api/v1/echo/plain", self.plain),
        ]

    @staticmethod
    async def echo(stream):
        def check():
            # The web app's request context: the stream's own query and client address.
            if request.args.get("key") != "open-sesame":
                raise Denied("Wrong key.", code="wrong_key", field="key")
            return request.remote_addr

        stream.headers["X-Echo"] = "yes"
        address = await stream.run(check)
        events = stream.subscribe(int(stream.match["ticket"]))
        yield f"event: hello\ndata: {json.dumps({'address': address})}\n\n"
        while True:
            event = await events.get(timeout=0.2)
            if event is None:
                yield ": keepalive\n\n"  # how a closed client is noticed
            else:
                yield f"event: {event['type']}\ndata: {json.dumps(event['data'])}\n\n"

    @staticmethod
    async def plain(stream):
        if "a" not in stream.query:
            raise NotFound("Nothing here.", code="not_found")
        return web.json_response({"query": stream.query})


@pytest.fixture
def echo_server(app, register_plugin, request):
    """The stream server started after the plugin was registered (it mounts
    the routes of the plugins loaded when it starts)."""
    register_plugin(EchoStreams(), "echo")
    return request.getfixturevalue("stream_server")


def test_a_plugins_stream_route_gets_its_tickets_events_and_the_web_apps_request(app, echo_server):
    publisher = RedisBus(REDIS_URL, app.config["EVENTS_CHANNEL"])
    with requests.get(echo_server + "/api/v1/echo/7/stream?key=open-sesame", stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["X-Echo"] == "yes"
        events = _events(response)
        assert next(events) == {"event": "hello", "data": {"address": "127.0.0.1"}}
        publisher.publish({"type": "ticket.updated", "data": {"ticket_id": 8}})  # another ticket's
        publisher.publish({"type": "ticket.updated", "data": {"ticket_id": 7, "status": "closed"}})
        assert next(events) == {"event": "ticket.updated", "data": {"ticket_id": 7, "status": "closed"}}

    plain = requests.get(echo_server + "/api/v1/echo/plain?a=1", timeout=30)
    assert plain.json() == {"query": {"a": "1"}}


def test_a_service_error_before_the_first_event_is_the_json_error_answer(echo_server):
    refused = requests.get(echo_server + "/api/v1/echo/7/stream?key=nope", timeout=30)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {"code": "wrong_key", "message": "Wrong key.", "fields": {"key": ["Wrong key."]}}
    }
    assert refused.headers["X-Echo"] == "yes"  # headers set before the refusal go out with it
    assert requests.get(echo_server + "/api/v1/echo/x/stream", timeout=30).status_code == 404  # not the pattern
    plain = requests.get(echo_server + "/api/v1/echo/plain", timeout=30)
    assert (plain.status_code, plain.json()["error"]["code"]) == (404, "not_found")


def test_a_disabled_plugins_routes_answer_404(app, echo_server):
    app.extensions["helpline.plugins"].set_enabled("echo", False)
    assert requests.get(echo_server + "/api/v1/echo/7/stream?key=open-sesame", timeout=30).status_code == 404
    assert requests.get(echo_server + "/api/v1/echo/plain?a=1", timeout=30).status_code == 404


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_several_stream_server_processes_share_the_port_and_stop_together(app, make_agent):
    """``helpline streams --processes 2``: the kernel spreads streams over both
    processes, each with its own bus subscription, so an event reaches every
    stream; SIGTERM stops them all, and one dying stops the others."""
    import signal
    import subprocess
    import sys
    import time

    _row, token = create_token(make_agent(role="support"), "streams")
    port = _free_port()
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": app.config["DATABASE_URL"],
        "HELPLINE_EVENTS_URL": REDIS_URL,
        "HELPLINE_EVENTS_CHANNEL": app.config["EVENTS_CHANNEL"],
        "HELPLINE_SECRET_KEY": app.config["SECRET_KEY"],
    }
    helpline = os.path.join(os.path.dirname(sys.executable), "helpline")
    server = subprocess.Popen([helpline, "streams", "--port", str(port), "--processes", "2"], env=env)
    base = f"http://127.0.0.1:{port}"
    streams = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        # Open streams until both processes hold some (new connections land on
        # either process at random).
        counts = {}
        for _ in range(60):
            response = requests.get(
                base + "/events/stream?types=ticket.created&timeout=30",
                headers={"Authorization": f"Bearer {token}"},
                stream=True,
                timeout=30,
            )
            assert response.status_code == 200
            lines = response.iter_lines(decode_unicode=True)
            assert next(lines) == "retry: 3000"  # the stream is subscribed
            streams.append((response, lines))
            for _ in range(10):
                health = requests.get(base + "/healthz", timeout=5).json()
                counts[health["process"]] = health["streams"]
            if len(counts) == 2 and all(counts.values()):
                break
        assert len(counts) == 2 and all(counts.values()), counts
        assert sum(counts.values()) <= len(streams)

        RedisBus(REDIS_URL, app.config["EVENTS_CHANNEL"]).publish({"type": "ticket.created", "data": {"ticket_id": 7}})
        for _response, lines in streams:
            event = [line for line in itertools.takewhile(lambda line: line != "", lines) if line]
            while not event:  # the blank line ending "retry:" first
                event = [line for line in itertools.takewhile(lambda line: line != "", lines) if line]
            assert "event: ticket.created" in event and 'data: {"ticket_id": 7}' in event

        # One process dies: the command stops the other and exits non-zero.
        os.kill(next(pid for pid in counts if pid != server.pid), signal.SIGKILL)
        assert server.wait(30) != 0
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/healthz", timeout=5)
    finally:
        for response, _lines in streams:
            response.close()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def test_sigterm_stops_every_stream_server_process(app):
    import signal
    import subprocess
    import sys
    import time

    port = _free_port()
    env = {**os.environ, "HELPLINE_DATABASE_URL": app.config["DATABASE_URL"], "HELPLINE_EVENTS_URL": REDIS_URL}
    helpline = os.path.join(os.path.dirname(sys.executable), "helpline")
    server = subprocess.Popen([helpline, "streams", "--port", str(port), "--processes", "2"], env=env)
    try:
        seen = set()
        deadline = time.monotonic() + 60
        while len(seen) < 2 and time.monotonic() < deadline:
            try:
                seen.add(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["process"])
            except requests.ConnectionError:
                time.sleep(0.1)  # not listening yet
        assert len(seen) == 2
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        for pid in seen:  # the children are gone too
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if server.poll() is None:
            server.kill()
