"""Status changes, snooze wake-up, assignment, tags and bulk actions."""

import datetime as dt

import pytest

from app.models import Activity, Ticket
from app.services import ServiceError
from app.services.assignment import claim
from app.services.tickets import assign, bulk, change_tags, close, parse_duration, reopen, snooze, tags_of, wake_snoozed


def fresh(t):
    return Ticket.get_by_id(t.id)


def test_close_records_reason_and_reopen_counts(app, fake_channel, make_agent, clock, hook_recorder):
    ticket = fake_channel.receive("Hi").ticket
    agent = make_agent()
    close(ticket, actor=agent)
    closed = fresh(ticket)
    assert closed.status == "closed" and closed.closed_reason == "agent" and closed.closed_at == clock.now()
    reopen(ticket, actor=agent)
    opened = fresh(ticket)
    assert opened.status == "open" and opened.reopen_count == 1 and opened.closed_at is None
    actions = [a.action for a in Activity.select().where(Activity.ticket == ticket).order_by(Activity.id)]
    assert actions == ["created", "closed", "reopened"]
    changes = hook_recorder.calls("helpline_on_ticket_status_changed")
    assert [(c["old_status"], c["new_status"]) for c in changes] == [("open", "closed"), ("closed", "open")]
    assert changes[0]["actor"].id == agent.id


def test_snooze_needs_a_future_time(app, fake_channel, clock):
    ticket = fake_channel.receive("Hi").ticket
    with pytest.raises(ServiceError) as err:
        snooze(ticket, clock.now() - dt.timedelta(minutes=1))
    assert err.value.field == "snoozed_until"
    with pytest.raises(ServiceError):
        snooze(ticket, None)


def test_snoozed_tickets_wake_at_their_time_and_alert_the_assignee(app, fake_channel, make_agent, clock):
    from app.events import get_bus

    agent = make_agent()
    early = fake_channel.receive("a", email="a@example.net").ticket
    late = fake_channel.receive("b", email="b@example.net").ticket
    assign(early, agent)
    snooze(early, clock.now() + dt.timedelta(hours=1))
    snooze(late, clock.now() + dt.timedelta(hours=5))
    clock.advance(minutes=59)
    assert wake_snoozed() == []
    with get_bus().subscribe() as events:
        clock.advance(minutes=1)
        assert wake_snoozed() == [early.id]
        seen = []
        while (event := events.get(timeout=2)) is not None:
            seen.append(event)
            if event["type"] == "alert":
                break
    assert fresh(early).status == "open" and fresh(late).status == "snoozed"
    alert = [e for e in seen if e["type"] == "alert"][0]["data"]
    assert alert == {"agent_id": agent.id, "ticket_id": early.id, "kind": "snooze_expired"}


def test_assign_and_unassign(app, fake_channel, make_agent, hook_recorder):
    ticket = fake_channel.receive("Hi").ticket
    a, b = make_agent(), make_agent()
    assign(ticket, a, actor=b)
    assert fresh(ticket).assignee_id == a.id and type(a).get_by_id(a.id).last_assigned_at is not None
    assign(ticket, None, actor=b)
    assert fresh(ticket).assignee_id is None
    calls = hook_recorder.calls("helpline_on_ticket_assigned")
    assert [
        (c["old_assignee"] and c["old_assignee"].id, c["new_assignee"] and c["new_assignee"].id) for c in calls
    ] == [(None, a.id), (a.id, None)]


def test_roles_outside_the_inbox_cannot_be_assigned(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    with pytest.raises(ServiceError) as err:
        assign(ticket, make_agent(role="analyst"))
    assert err.value.code == "not_assignable"


def test_claim_is_atomic(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    a, b = make_agent(), make_agent()
    assert claim(ticket.id, a) is True
    assert claim(ticket.id, b) is False
    assert fresh(ticket).assignee_id == a.id


def test_tags_are_normalized_added_and_removed(app, fake_channel):
    ticket = fake_channel.receive("Hi").ticket
    assert change_tags(ticket, add=["VIP", " refund  request", "vip"]) == ["refund request", "vip"]
    assert change_tags(ticket, remove=["vip"]) == ["refund request"]
    assert change_tags(ticket, replace=["a", "b"]) == ["a", "b"] == tags_of(ticket)
    with pytest.raises(ServiceError):
        change_tags(ticket, add=["x" * 65])


def test_bulk_applies_per_ticket_and_reports_each(app, fake_channel, make_agent):
    agent = make_agent()
    tickets = [fake_channel.receive("Hi", email=f"c{n}@example.net").ticket for n in range(3)]
    ids = [t.id for t in tickets] + [9999]
    results = bulk(ids, "close", agent)
    assert [results[t.id] for t in tickets] == ["ok"] * 3
    assert "9999" in results[9999]
    assert all(fresh(t).status == "closed" for t in tickets)
    results = bulk([tickets[0].id], "snooze", agent, {"until": None})
    assert results[tickets[0].id] != "ok"
    assert bulk([t.id for t in tickets], "tag", agent, {"tags": ["batch"]}) == {t.id: "ok" for t in tickets}
    assert all(tags_of(t) == ["batch"] for t in tickets)


def test_unknown_bulk_action_is_refused(app, make_agent):
    with pytest.raises(ServiceError) as err:
        bulk([1], "explode", make_agent())
    assert err.value.field == "action"


def test_parse_duration():
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("2d") == dt.timedelta(days=2)
    with pytest.raises(ServiceError):
        parse_duration("soon")
