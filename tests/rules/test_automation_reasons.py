"""Issue 21: every automatic action says why (thread notice, activity, API),
and an automatic close or assignment can be undone within the window."""

import datetime as dt

import pytest

from app.models import Activity, Agent
from app.services import agents as agent_service
from app.services import messages, tickets
from app.testing.factories import refresh
from plugins.autoclose.sweep import sweep


@pytest.fixture
def closed_by_rule(plugins, fake_channel, make_agent, clock):
    """Ann answered at 10:00 on Jan 5; nobody wrote back; auto-close (2 days)
    closed the ticket at 10:00 on Jan 7."""
    plugins.set_enabled("autoclose", True)
    ann = make_agent(name="Ann", password=None)
    ticket = fake_channel.receive("Where is my order?", email="zoe@example.net").ticket
    clock.set(dt.datetime(2026, 1, 5, 10, 0))
    messages.reply(ticket, ann, "It ships today.")
    clock.set(dt.datetime(2026, 1, 7, 10, 0))
    assert sweep() == [ticket.id]
    return ticket, ann


def activities(client, headers, ticket_id):
    r = client.get(f"/api/v1/tickets/{ticket_id}/activities", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def test_an_automatic_close_says_which_reply_armed_the_clock_and_the_period(closed_by_rule, client, api_as):
    ticket, ann = closed_by_rule
    _, headers = api_as("support")
    thread = client.get(f"/api/v1/tickets/{ticket.id}/messages", headers=headers).get_json()["items"]
    notice = thread[-1]
    assert notice["text"] == "Ticket closed due to inactivity"
    reason = notice["reason"]
    assert reason["rule"] == "autoclose" and reason["settings_url"] == "/rules/autoclose/settings"
    assert reason["summary"] == (
        "Auto-close: no customer reply for 2 days after the reply by Ann delivered at 2026-01-05 10:00 UTC."
    )
    reply_id = thread[1]["id"]
    assert reason["inputs"] == {
        "period_days": 2,
        "clock_started_at": "2026-01-05T10:00:00+00:00",
        "armed_by_message_id": reply_id,
        "armed_by": "Ann",
        "reply_written_at": "2026-01-05T10:00:00+00:00",
        "customer_replied": False,
    }
    [closed] = [a for a in activities(client, headers, ticket.id) if a["action"] == "closed"]
    assert closed["reason"] == reason and closed["actor"] is None
    assert closed["undo_until"] == "2026-01-08T10:00:00+00:00"  # 24 hours
    assert thread[0]["reason"] is None  # the customer's message has none


def test_a_round_robin_assignment_says_who_could_take_it(plugins, fake_channel, make_agent, client, api_as):
    plugins.set_enabled("roundrobin", True)
    make_agent(name="Bea", presence="online", password=None)
    ticket = fake_channel.receive("Hello", email="q@example.net").ticket
    _, headers = api_as("support")
    [assigned] = [a for a in activities(client, headers, ticket.id) if a["action"] == "assigned"]
    reason = assigned["reason"]
    assert reason["rule"] == "roundrobin" and reason["settings_url"] == "/rules/roundrobin/settings"
    assert reason["inputs"]["agent"] == "Bea" and reason["inputs"]["candidates"] == ["Bea"]
    assert reason["inputs"]["cap"] == 10 and reason["inputs"]["previously_assigned_at"] is None
    assert "Bea was online and least recently assigned among 1 agents" in reason["summary"]


def test_a_wake_up_says_until_when_it_was_snoozed(fake_channel, make_agent, clock, client, api_as):
    from app.jobs import wake_snoozed

    ticket = fake_channel.receive("Hi", email="w@example.net").ticket
    tickets.snooze(ticket, dt.datetime(2026, 1, 6, 8, 0), actor=make_agent(password=None))
    clock.set(dt.datetime(2026, 1, 6, 8, 1))
    wake_snoozed.call_local()
    _, headers = api_as("support")
    [opened] = [a for a in activities(client, headers, ticket.id) if a["action"] == "opened"]
    assert opened["reason"]["rule"] == "snooze"
    assert opened["reason"]["summary"] == "Woken up: the ticket was snoozed until 2026-01-06 08:00 UTC."


def test_undo_an_automatic_close_reopens_it_with_the_clock_running(closed_by_rule, client, api_as, clock, plugins):
    ticket, ann = closed_by_rule
    agent, headers = api_as("support", name="Sam")
    [closed] = [a for a in activities(client, headers, ticket.id) if a["action"] == "closed"]
    clock.advance(hours=3)
    r = client.post(f"/api/v1/tickets/{ticket.id}/activities/{closed['id']}/undo", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["action"] == "undone" and r.get_json()["actor"]["name"] == "Sam"
    fresh = refresh(ticket)
    assert fresh.status == "open" and fresh.closed_reason is None and fresh.reopen_count == 0
    assert fresh.awaiting_customer_since == clock.now()  # a full period from the undo
    # Recorded, and not undoable twice.
    again = client.post(f"/api/v1/tickets/{ticket.id}/activities/{closed['id']}/undo", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_undoable"
    # The next sweeps leave it alone until the period has passed again.
    clock.advance(days=1)
    assert sweep() == []
    clock.advance(days=1)
    assert sweep() == [ticket.id]


def test_undo_is_refused_after_the_window_and_once_the_ticket_changed(closed_by_rule, client, api_as, clock):
    ticket, ann = closed_by_rule
    _, headers = api_as("support")
    [closed] = [a for a in activities(client, headers, ticket.id) if a["action"] == "closed"]
    tickets.reopen(refresh(ticket), actor=ann)
    r = client.post(f"/api/v1/tickets/{ticket.id}/activities/{closed['id']}/undo", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "changed_since"
    clock.advance(hours=25)
    r = client.post(f"/api/v1/tickets/{ticket.id}/activities/{closed['id']}/undo", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_undoable"
    # An agent's own close is not automatic: nothing to undo.
    tickets.close(refresh(ticket), actor=ann)
    mine = Activity.select().where(Activity.action == "closed").order_by(Activity.id.desc()).first()
    r = client.post(f"/api/v1/tickets/{ticket.id}/activities/{mine.id}/undo", headers=headers)
    assert r.status_code == 409
    assert client.post(f"/api/v1/tickets/{ticket.id}/activities/999999/undo", headers=headers).status_code == 404


def test_undo_an_automatic_assignment_gives_the_agent_their_turn_back(
    plugins, fake_channel, make_agent, clock, client, api_as
):
    plugins.set_enabled("roundrobin", True)
    bea = make_agent(name="Bea", presence="online", password=None)
    first = fake_channel.receive("One", email="one@example.net").ticket
    first_turn = Agent.get_by_id(bea.id).last_assigned_at
    clock.advance(minutes=5)
    agent_service.set_presence(bea)  # her browser's heartbeat
    second = fake_channel.receive("Two", email="two@example.net").ticket
    assert refresh(second).assignee_id == bea.id
    _, headers = api_as("manager")
    [assigned] = [a for a in activities(client, headers, second.id) if a["action"] == "assigned"]
    r = client.post(f"/api/v1/tickets/{second.id}/activities/{assigned['id']}/undo", headers=headers)
    assert r.status_code == 200
    assert refresh(second).assignee_id is None  # back in Unassigned, not handed straight out again
    assert refresh(first).assignee_id == bea.id
    assert Agent.get_by_id(bea.id).last_assigned_at == first_turn


def test_the_ticket_page_shows_why_and_undoes(closed_by_rule, client, login, make_agent):
    ticket, _ann = closed_by_rule
    login(client, make_agent(name="Sam", password=None))
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "Why: Auto-close: no customer reply for 2 days after the reply by Ann" in page
    assert 'href="/rules/autoclose/settings"' in page and "Undo close" in page
    closed = Activity.get((Activity.ticket == ticket.id) & (Activity.action == "closed"))
    with client.session_transaction() as sess:
        token = sess.get("csrf_token")
    r = client.post(f"/t/{ticket.id}/activities/{closed.id}/undo", data={"csrf_token": token})
    assert r.status_code == 302
    assert refresh(ticket).status == "open"
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "(undone)" in page and "Undo close" not in page


def test_one_sweep_gives_each_ticket_its_own_reason(plugins, fake_channel, make_agent, clock, client, api_as):
    """The sweep reads every ticket's reason inputs in the one select that
    locks its batch and inserts the notices and activity entries set-based:
    each ticket still gets its own reply, agent and clock."""
    plugins.set_enabled("autoclose", True)
    ann, bob = make_agent(name="Ann", password=None), make_agent(name="Bob", password=None)
    first = fake_channel.receive("One", email="one@example.net").ticket
    second = fake_channel.receive("Two", email="two@example.net").ticket
    third = fake_channel.receive("Three", email="three@example.net").ticket
    clock.set(dt.datetime(2026, 1, 5, 10, 0))
    messages.reply(first, ann, "Shipped.")
    clock.set(dt.datetime(2026, 1, 5, 11, 30))
    messages.reply(second, bob, "Refunded.")
    messages.reply(third, None, "I am the shop's assistant: it is on its way.", author_type="bot")
    clock.set(dt.datetime(2026, 1, 7, 12, 0))
    assert sorted(sweep(batch_size=2)) == sorted([first.id, second.id, third.id])  # two batches
    _, headers = api_as("support")
    expected = {
        first.id: ("Ann", "2026-01-05 10:00"),
        second.id: ("Bob", "2026-01-05 11:30"),
        third.id: ("a bot or AI agent", "2026-01-05 11:30"),
    }
    for ticket_id, (by, when) in expected.items():
        thread = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers).get_json()["items"]
        reply, notice = thread[-2], thread[-1]
        assert notice["kind"] == "notice" and notice["text"] == "Ticket closed due to inactivity"
        reason = notice["reason"]
        assert reason["summary"] == (
            f"Auto-close: no customer reply for 2 days after the reply by {by} delivered at {when} UTC."
        )
        assert reason["inputs"]["armed_by"] == by and reason["inputs"]["armed_by_message_id"] == reply["id"]
        [closed] = [a for a in activities(client, headers, ticket_id) if a["action"] == "closed"]
        assert closed["reason"] == reason
        assert closed["undo_until"] == "2026-01-08T12:00:00+00:00"
