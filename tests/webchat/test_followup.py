"""The follow-up email, through a real local SMTP server: sent once, only
after the visitor left, an agent answered, and more than the delay passed."""

import pytest
from playhouse.test_utils import assert_query_count

from app.models import Ticket
from app.plugins import get_plugins
from app.services.messages import reply
from plugins.webchat import tasks
from plugins.webchat.models import Conversation, FollowupEmail


def sweep():
    return tasks.send_followups.call_local()


@pytest.fixture
def chat(visitor, smtp, make_agent, clock):
    """A visitor with an email who wrote, an agent who answered, then the
    visitor left (their stream closed)."""
    v = visitor("Ada", "ada@example.net")
    v.say("Do you ship to Canada?")
    ticket = Ticket.get(Ticket.channel == "webchat")
    clock.advance(minutes=1)
    reply(ticket, make_agent(name="Grace Hopper"), "Yes, in 5 days.")
    Conversation.update(left_at=clock.now()).where(Conversation.public_id == v.cid).execute()
    return v, ticket


def body(mail):
    return mail.get_content()


def test_sent_once_after_the_delay(chat, smtp, clock, app):
    v, ticket = chat
    clock.advance(minutes=2)  # exactly 3 minutes after the visitor's message
    assert sweep() == 0 and smtp.messages == []
    clock.advance(seconds=1)
    assert sweep() == 1
    assert len(smtp.messages) == 1
    rcpts, mail = smtp.messages[0]
    assert rcpts == ["ada@example.net"]
    assert "Yes, in 5 days." in body(mail) and "Grace:" in body(mail) and "Hello Ada" in body(mail)
    clock.advance(minutes=10)
    assert sweep() == 0 and len(smtp.messages) == 1
    assert FollowupEmail.select().count() == 1
    with app.test_request_context():  # agents see it on the channel's card in the ticket sidebar
        card = get_plugins().channel("webchat").card(ticket)
    facts = {f.label: f.value for f in card.facts}
    assert facts["Follow-ups"] == "1 email sent" and facts["Visitor"] == "Left the chat"


def test_later_replies_get_their_own_email_without_the_old_ones(chat, smtp, clock, make_agent):
    v, ticket = chat
    clock.advance(minutes=5)
    sweep()
    reply(ticket, make_agent(), "Tracking number: 42")
    clock.advance(minutes=1)
    assert sweep() == 1
    latest = body(smtp.messages[-1][1])
    assert "Tracking number: 42" in latest and "Yes, in 5 days." not in latest


def test_not_sent_while_the_visitor_is_connected(chat, smtp, clock):
    v, ticket = chat
    v.heartbeat()  # the page is open again
    clock.advance(minutes=5)
    v.heartbeat()
    assert sweep() == 0 and smtp.messages == []
    clock.advance(seconds=61)  # heartbeat lost
    assert sweep() == 1


def test_a_page_change_is_not_leaving(chat, smtp, clock):
    v, ticket = chat
    clock.advance(minutes=5)
    # Connected until a moment ago: the visitor clicked to another page of the shop.
    Conversation.update(last_seen_at=clock.now(), left_at=clock.now()).where(Conversation.public_id == v.cid).execute()
    clock.advance(seconds=5)
    assert sweep() == 0 and smtp.messages == []
    clock.advance(seconds=30)  # no page connected again: they left
    assert sweep() == 1


def test_not_sent_when_the_widget_confirmed_the_reply(chat, smtp, clock):
    v, ticket = chat
    shown = v.messages()
    assert "Yes, in 5 days." in [m["text"] for m in shown]
    v.heartbeat(last_seen_id=shown[-1]["id"])  # the widget's confirmation
    Conversation.update(left_at=clock.now()).where(Conversation.public_id == v.cid).execute()
    clock.advance(minutes=5)
    assert sweep() == 0 and smtp.messages == []


def test_fetched_but_never_confirmed_replies_are_still_mailed(chat, smtp, clock):
    v, ticket = chat
    assert "Yes, in 5 days." in [m["text"] for m in v.messages()]  # the answer may never have arrived
    clock.advance(minutes=5)
    assert sweep() == 1


def test_not_sent_without_an_agent_answer_after_the_last_message(chat, smtp, clock):
    v, ticket = chat
    clock.advance(minutes=1)
    v.say("Also, do you ship to Mexico?")
    Conversation.update(left_at=clock.now()).where(Conversation.public_id == v.cid).execute()
    clock.advance(minutes=10)
    assert sweep() == 0 and smtp.messages == []


def test_not_sent_without_an_email(visitor, smtp, make_agent, clock):
    v = visitor("Anonymous")
    v.say("Hi")
    reply(Ticket.get(Ticket.channel == "webchat"), make_agent(), "Hello!")
    Conversation.update(left_at=clock.now()).execute()
    clock.advance(minutes=10)
    assert sweep() == 0 and smtp.messages == []


def test_without_an_email_sender_nothing_is_lost(visitor, webchat, make_agent, clock, smtp, app):
    v = visitor("Ada", "ada@example.net")
    v.say("Hi")
    reply(Ticket.get(Ticket.channel == "webchat"), make_agent(), "Hello!")
    Conversation.update(left_at=clock.now()).execute()
    clock.advance(minutes=10)
    app.extensions["helpline.plugins"].unregister("test-email-sender")
    assert sweep() == 0
    from app.testing.mail import EmailSender

    app.extensions["helpline.plugins"].register(EmailSender(smtp.port), "test-email-sender")
    assert sweep() == 1 and len(smtp.messages) == 1


def test_sweep_cost_does_not_grow_per_conversation(visitor, smtp, make_agent, clock):
    agent = make_agent()
    for n in range(6):
        visitor(f"V{n}", f"v{n}@example.net").say("Hi")
    for ticket in Ticket.select():
        reply(ticket, agent, "Hello!")
    Conversation.update(left_at=clock.now()).execute()
    clock.advance(minutes=10)
    from plugins.webchat.followup import _replies_for, due

    with assert_query_count(2):  # plugin-state version check + one query for all candidates
        candidates = due()
    with assert_query_count(1):
        replies = _replies_for(candidates)
    assert len(candidates) == 6 and all(len(r) == 1 for r in replies.values())
    assert sweep() == 6 and len(smtp.messages) == 6


def test_the_follow_up_says_why_in_the_thread_and_the_activity(visitor, smtp, clock, client, make_agent, login):
    """Issue 21: the follow-up is an automatic action, so the ticket says
    which rule sent it and on what inputs, in the thread (a notice the
    visitor never sees) and in the activity trail, and the API answers the
    same structured reason on both."""
    from app.auth import create_token

    agent = make_agent(name="Grace Hopper", password=None)
    _, token = create_token(agent, "test")
    headers = {"Authorization": f"Bearer {token}"}
    v = visitor("Ada", "ada@example.net")
    v.say("Do you ship to Canada?")  # 09:00
    v.heartbeat()
    ticket = Ticket.get(Ticket.channel == "webchat")
    clock.advance(minutes=1)
    r = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "Yes."}, headers=headers)
    assert r.status_code == 201, r.get_json()
    reply_id = r.get_json()["id"]
    clock.advance(minutes=2, seconds=1)  # no heartbeat for 3 minutes: she left
    assert sweep() == 1 and len(smtp.messages) == 1

    thread = client.get(f"/api/v1/tickets/{ticket.id}/messages", headers=headers).get_json()["items"]
    notice = thread[-1]
    assert notice["kind"] == "notice"
    assert notice["text"] == "Follow-up email sent to ada@example.net with 1 reply the visitor did not see."
    reason = notice["reason"]
    assert reason == {
        "rule": "webchat.followup",
        "summary": "Web chat follow-up: the visitor left the chat without seeing 1 agent reply; their last message "
        "was at 2026-01-05 09:00 UTC, more than 3 minutes before, so the reply was emailed to ada@example.net.",
        "inputs": {
            "to": "ada@example.net",
            "left_at": None,
            "last_seen_at": "2026-01-05T09:00:00+00:00",
            "last_customer_message_at": "2026-01-05T09:00:00+00:00",
            "delay_minutes": 3,
            "reply_message_ids": [reply_id],
            "sent_at": "2026-01-05T09:03:01+00:00",
        },
        "settings_url": "/settings/plugins/webchat",
    }
    r = client.get(f"/api/v1/tickets/{ticket.id}/activities", headers=headers)
    [sent] = [a for a in r.get_json()["items"] if a["action"] == "followup_sent"]
    assert sent["reason"] == reason and sent["actor"] is None and sent["undo_until"] is None
    # Agents only: the visitor's chat shows the answer, not the notice.
    assert [m["text"] for m in v.messages()] == ["Do you ship to Canada?", "Yes."]
    # The ticket page shows it among the automatic actions, linked to the settings.
    login(client, agent)
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert 'data-rule="webchat.followup"' in page
    assert "Why: Web chat follow-up: the visitor left the chat without seeing 1 agent reply" in page
    assert f'href="{reason["settings_url"]}"' in page and "Undo" not in page
