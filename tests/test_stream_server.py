"""``helpline streams``: the agents' event stream from the asyncio server,
with the web app's own sessions, tokens and roles, fed by the Redis bus."""

import json
import os

import pytest
import requests

from app.auth import create_token
from app.bus import RedisBus
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
