"""The visitor's live stream against a real threaded server: replies and
agent typing arrive live, notes never, a reconnect resumes from the last
seen id without loss or duplicates, and closing the stream marks the
visitor as gone."""

import pytest

from app.events import publish
from app.models import Ticket
from app.services.messages import add_note, reply
from app.services.tickets import close
from plugins.webchat.models import Conversation

from .conftest import Visitor, wait_for
from .sse import SSEClient


@pytest.fixture
def chat(app, webchat, live_server):
    v = Visitor(app.test_client(), "Ada", "ada@example.net")
    v.say("Hello, is anyone there?")
    return v, Ticket.get(Ticket.channel == "webchat")


def open_stream(live_server, v, after=None, last_event_id=None):
    url = f"{live_server.url}/api/v1/webchat/conversations/{v.cid}/stream?token={v.token}"
    if after is not None:
        url += f"&after={after}"
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    return SSEClient(url, headers)


def test_replies_typing_and_close_arrive_live(chat, live_server, make_agent):
    v, ticket = chat
    agent = make_agent(name="Grace Hopper")
    stream = open_stream(live_server, v)
    try:
        kind, data, first_id = stream.next()
        assert (kind, data["from"], data["text"]) == ("message", "visitor", "Hello, is anyone there?")
        add_note(ticket, agent, "internal: VIP customer")
        publish("typing", {"ticket_id": ticket.id, "who": "agent", "agent_id": agent.id})
        publish("typing", {"ticket_id": ticket.id + 999, "who": "agent", "agent_id": agent.id})
        assert stream.next()[:2] == ("typing", {"who": "agent"})
        reply(ticket, agent, "Yes! How can I help?")
        kind, data, event_id = stream.next()
        assert (data["from"], data["name"], data["text"]) == ("agent", "Grace", "Yes! How can I help?")
        assert int(event_id) == data["id"]
        close(ticket)
        assert stream.next()[0] == "closed"
    finally:
        stream.close()


def test_reconnect_resumes_without_loss_or_duplicates(chat, live_server, make_agent):
    v, ticket = chat
    agent = make_agent()
    stream = open_stream(live_server, v)
    _, _, seen = stream.next()
    reply(ticket, agent, "First answer")
    _, data, seen = stream.next()
    assert data["text"] == "First answer"
    stream.close()
    reply(ticket, agent, "Second answer")
    reply(ticket, agent, "Third answer")
    again = open_stream(live_server, v, after=0, last_event_id=seen)  # Last-Event-ID wins over ?after
    try:
        texts = [again.next()[1]["text"] for _ in range(2)]
        assert texts == ["Second answer", "Third answer"]
        reply(ticket, agent, "Fourth answer")
        assert again.next()[1]["text"] == "Fourth answer"
    finally:
        again.close()


def test_closing_the_stream_marks_the_visitor_gone(chat, live_server):
    v, ticket = chat
    stream = open_stream(live_server, v)
    stream.next()
    conv = lambda: Conversation.get(Conversation.public_id == v.cid)  # noqa: E731
    assert wait_for(lambda: conv().open_streams == 1)
    assert conv().left_at is None
    stream.close()
    assert wait_for(lambda: conv().left_at is not None)
    assert conv().open_streams == 0


def test_another_visitors_token_cannot_open_the_stream(chat, live_server, app):
    v, ticket = chat
    other = Visitor(app.test_client())
    other.start()
    stream = SSEClient(f"{live_server.url}/api/v1/webchat/conversations/{v.cid}/stream?token={other.token}")
    assert stream.status == 403
    stream.close()


def test_a_reply_written_to_a_stream_the_visitor_left_is_mailed(chat, live_server, make_agent, smtp, clock):
    from plugins.webchat import tasks

    v, ticket = chat
    stream = open_stream(live_server, v)
    try:
        stream.next()
        conv = lambda: Conversation.get(Conversation.public_id == v.cid)  # noqa: E731
        assert wait_for(lambda: conv().open_streams == 1)
        # The agent answers as the visitor closes the tab: the server writes the
        # reply to the stream, but the widget never confirms it.
        reply(ticket, make_agent(name="Grace Hopper"), "Yes, we ship to Canada.")
        assert stream.next()[1]["text"] == "Yes, we ship to Canada."
    finally:
        stream.close()
    assert wait_for(lambda: conv().left_at is not None)
    clock.advance(minutes=5)
    assert tasks.send_followups.call_local() == 1
    [(rcpts, mail)] = smtp.messages
    assert rcpts == ["ada@example.net"] and "Yes, we ship to Canada." in mail.get_content()
