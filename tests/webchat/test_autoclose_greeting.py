"""Issue 17: a web chat greeting or away message is an acknowledgement, not
an answer: it never arms auto-close nor counts as a first response."""

import datetime as dt

import pytest

from app.auth import create_token
from app.models import Ticket
from plugins.autoclose.tasks import close_inactive_tickets


@pytest.fixture
def greeting(webchat, clock):
    webchat.set_settings("webchat", {"auto_replies": True, "greeting": "Hi! We usually answer within an hour."})
    webchat.set_enabled("autoclose", True)
    webchat.set_settings("autoclose", {"inactivity_days": 2})


def test_greeting_alone_never_closes_the_chat_but_an_agent_reply_does(greeting, visitor, client, make_agent, clock):
    v = visitor()
    v.say("Is the blue one in stock?")
    assert [m["from"] for m in v.messages()] == ["visitor", "bot"]
    ticket = Ticket.get(Ticket.channel == "webchat")
    assert ticket.awaiting_customer_since is None and ticket.first_response_at is None
    clock.advance(days=10)
    assert close_inactive_tickets.call_local() == []
    assert Ticket.get_by_id(ticket.id).status == "open"

    agent = make_agent(password=None)
    _, token = create_token(agent, "test")
    r = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"kind": "reply", "text": "Yes, it is."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    answered = clock.now()
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.first_response_at == answered and ticket.awaiting_customer_since == answered
    clock.set(answered + dt.timedelta(days=2))
    assert close_inactive_tickets.call_local() == [ticket.id]


def test_away_message_does_not_arm_the_clock(webchat, visitor, clock):
    webchat.set_settings(
        "webchat", {"auto_replies": True, "away_message": "We are closed.", "schedule": {}, "timezone": "UTC"}
    )
    webchat.set_enabled("autoclose", True)
    v = visitor()
    v.say("Hello?")
    assert [(m["from"], m["text"]) for m in v.messages()] == [("visitor", "Hello?"), ("bot", "We are closed.")]
    ticket = Ticket.get(Ticket.channel == "webchat")
    assert ticket.awaiting_customer_since is None and ticket.first_response_at is None
    clock.advance(days=5)
    assert close_inactive_tickets.call_local() == []
