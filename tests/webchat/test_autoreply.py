"""Greeting in office hours, away message outside, with the loop guard."""

import datetime as dt

import pytest

from app.models import Message, Ticket
from app.services.messages import reply


@pytest.fixture
def auto(webchat, clock):
    webchat.set_settings(
        "webchat",
        {
            "auto_replies": True,
            "timezone": "Europe/Paris",
            "greeting": "Hello from Acme!",
            "away_message": "We are closed, back at 9.",
            "auto_reply_window_minutes": 30,
            "agent_recent_minutes": 5,
            "schedule": {"mon": [{"open": "09:00", "close": "18:00"}]},
        },
    )
    clock.set(dt.datetime(2026, 1, 5, 10, 0))  # Monday 11:00 in Paris


def bot_texts():
    return [m.text for m in Message.select().where(Message.author_type == "bot").order_by(Message.id)]


def test_greeting_during_office_hours_reaches_the_widget(visitor, auto):
    v = visitor()
    v.say("Hi")
    assert bot_texts() == ["Hello from Acme!"]
    assert [(m["from"], m["text"]) for m in v.messages()] == [("visitor", "Hi"), ("bot", "Hello from Acme!")]
    ticket = Ticket.get(Ticket.channel == "webchat")
    assert ticket.awaiting_customer_since is None  # an acknowledgement never arms auto-close


def test_away_message_outside_office_hours(visitor, auto, clock):
    clock.set(dt.datetime(2026, 1, 5, 17, 0))  # 18:00 in Paris: closed
    visitor().say("Anyone there?")
    assert bot_texts() == ["We are closed, back at 9."]


def test_away_message_is_not_repeated_within_the_window(visitor, auto, clock):
    clock.set(dt.datetime(2026, 1, 5, 20, 0))
    v = visitor()
    v.say("Hello?")
    clock.advance(minutes=10)
    v.say("Hello??")
    clock.advance(minutes=19)
    v.say("Anybody?")
    assert bot_texts() == ["We are closed, back at 9."]
    clock.advance(minutes=2)  # 31 minutes after the first
    v.say("Still there?")
    assert bot_texts() == ["We are closed, back at 9."] * 2


def test_no_automatic_reply_when_an_agent_answered_recently(visitor, auto, clock, make_agent):
    v = visitor()
    v.say("Hi")
    ticket = Ticket.get(Ticket.channel == "webchat")
    clock.advance(minutes=40)  # the loop-guard window has passed
    reply(ticket, make_agent(), "Sure, let me check")
    clock.advance(minutes=4)
    v.say("Thanks")
    assert bot_texts() == ["Hello from Acme!"]
    clock.advance(minutes=40)
    v.say("Are you still there?")
    assert bot_texts() == ["Hello from Acme!"] * 2


def test_each_new_conversation_gets_its_greeting(visitor, auto):
    visitor().say("One")
    visitor().say("Two")
    assert bot_texts() == ["Hello from Acme!"] * 2


def test_empty_message_turns_the_reply_off(visitor, webchat, auto):
    webchat.set_settings("webchat", {"greeting": ""})
    visitor().say("Hi")
    assert bot_texts() == []


def test_the_inbox_list_shows_the_visitors_words_not_the_greeting_or_the_answer(visitor, auto, app, login, make_agent):
    v = visitor()
    v.say("My parcel 1042 never arrived")
    assert bot_texts() == ["Hello from Acme!"]
    ticket = Ticket.get(Ticket.channel == "webchat")
    agent = make_agent(role="support", password=None)
    reply(ticket, agent, "Sorry to hear that, let me check.")
    agent_client = app.test_client()
    login(agent_client, agent)

    def row():
        html = agent_client.get("/inbox/all").get_data(as_text=True)
        return html[html.index(f'data-ticket-id="{ticket.id}"') :][:2000]

    listed = row()
    assert "My parcel 1042 never arrived" in listed
    assert "Hello from Acme!" not in listed and "let me check" not in listed
    v.say("Any news?")
    assert "Any news?" in row()
    api = agent_client.get("/api/v1/tickets?view=all").get_json()
    [item] = [t for t in api["items"] if t["id"] == ticket.id]
    assert item["last_message_preview"] == "Any news?"


def test_the_greeting_says_why_in_the_thread_and_the_activity(visitor, auto, client, make_agent):
    """Issue 21: the API answers the same reason on the bot's message and on
    its ``replied`` activity entry, so the ticket's Automatic actions card
    lists it."""
    from app.auth import create_token

    visitor().say("Hi")
    ticket = Ticket.get(Ticket.channel == "webchat")
    _, token = create_token(make_agent(password=None), "test")
    headers = {"Authorization": f"Bearer {token}"}
    thread = client.get(f"/api/v1/tickets/{ticket.id}/messages", headers=headers).get_json()["items"]
    reason = thread[-1]["reason"]
    assert reason == {
        "rule": "webchat.auto_replies",
        "summary": "Web chat automatic reply: the greeting, sent during office hours.",
        "inputs": {"kind": "greeting", "office_hours_open": True, "timezone": "Europe/Paris", "one_per_minutes": 30},
        "settings_url": "/settings/plugins/webchat",
    }
    items = client.get(f"/api/v1/tickets/{ticket.id}/activities", headers=headers).get_json()["items"]
    [replied] = [a for a in items if a["action"] == "replied"]
    assert replied["reason"] == reason and replied["actor"] is None and replied["undo_until"] is None
