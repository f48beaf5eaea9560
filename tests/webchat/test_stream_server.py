"""The visitor's stream on ``helpline streams`` (the plugin's StreamRoute on
the real aiohttp server, fed by Redis): the same visitor token, origin
check, events and presence as the threaded view, and 404 while the web chat
plugin is disabled."""

import os

import pytest
import requests

from app.events import publish
from app.models import Ticket
from app.services.messages import reply
from app.services.tickets import close
from plugins.webchat.models import Conversation

from .conftest import STOREFRONT, Visitor, wait_for
from .sse import SSEClient

REDIS_URL = os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def helpline_config():
    return {"EVENTS_URL": REDIS_URL, "WEBCHAT_KEEPALIVE_SECONDS": 0.5, "WEBCHAT_STREAM_SECONDS": 60}


@pytest.fixture
def chat(app, webchat):
    v = Visitor(app.test_client(), "Ada", "ada@example.net")
    v.say("Hello, is anyone there?")
    return v, Ticket.get(Ticket.channel == "webchat")


def stream_url(stream_server, v, token=None):
    return f"{stream_server}/api/v1/webchat/conversations/{v.cid}/stream?token={token or v.token}"


def test_a_visitor_stream_on_the_stream_server_gets_the_agents_reply(chat, stream_server, make_agent):
    v, ticket = chat
    agent = make_agent(name="Grace Hopper")
    stream = SSEClient(stream_url(stream_server, v), {"Origin": STOREFRONT})
    try:
        assert stream.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.response.getheader("Access-Control-Allow-Origin") == STOREFRONT
        kind, data, _ = stream.next()
        assert (kind, data["from"], data["text"]) == ("message", "visitor", "Hello, is anyone there?")
        publish("typing", {"ticket_id": ticket.id + 999, "who": "agent", "agent_id": agent.id})  # another chat
        publish("typing", {"ticket_id": ticket.id, "who": "agent", "agent_id": agent.id})
        assert stream.next()[:2] == ("typing", {"who": "agent"})
        reply(ticket, agent, "Yes! How can I help?")
        kind, data, event_id = stream.next()
        assert (kind, data["from"], data["name"], data["text"]) == ("message", "agent", "Grace", "Yes! How can I help?")
        assert int(event_id) == data["id"]
        close(ticket)
        assert stream.next()[0] == "closed"
    finally:
        stream.close()


def test_the_stream_records_the_visitor_arriving_and_leaving(chat, stream_server):
    v, _ticket = chat
    conv = lambda: Conversation.get(Conversation.public_id == v.cid)  # noqa: E731
    stream = SSEClient(stream_url(stream_server, v))
    stream.next()
    assert wait_for(lambda: conv().open_streams == 1)
    stream.close()
    # The server notices the hang-up at its next keepalive (0.5 s here).
    assert wait_for(lambda: conv().open_streams == 0 and conv().left_at is not None)


def test_a_bad_token_or_origin_is_refused_like_on_the_web_hosts(chat, app, stream_server):
    v, _ticket = chat
    other = Visitor(app.test_client(), "Bob")
    other.say("Me too")

    bad = requests.get(stream_url(stream_server, v, token="not-a-token"), timeout=30)
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "token_invalid"

    missing = requests.get(f"{stream_server}/api/v1/webchat/conversations/{v.cid}/stream", timeout=30)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "token_required"

    foreign = requests.get(stream_url(stream_server, v, token=other.token), timeout=30)
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "forbidden"

    elsewhere = requests.get(stream_url(stream_server, v), headers={"Origin": "https://evil.example"}, timeout=30)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in elsewhere.headers


def test_a_disabled_plugins_stream_answers_404_until_enabled_again(chat, app, stream_server):
    v, _ticket = chat
    plugins = app.extensions["helpline.plugins"]
    plugins.set_enabled("webchat", False)
    off = requests.get(stream_url(stream_server, v), timeout=30)
    assert off.status_code == 404
    assert off.json()["error"]["code"] == "not_found"

    plugins.set_enabled("webchat", True)  # another process's toggle applies without a restart
    stream = SSEClient(stream_url(stream_server, v))
    try:
        assert stream.status == 200
        assert stream.next()[1]["text"] == "Hello, is anyone there?"
    finally:
        stream.close()
