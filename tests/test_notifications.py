"""Stored notifications: who is told what (assignments, mentions, customer
replies, new tickets when opted in), the unread count, marking read, and
the choices that turn kinds off."""

import pytest
from playhouse.test_utils import assert_query_count

from app.events import get_bus
from app.services import NotFound, notifications
from app.services.assignment import claim
from app.services.messages import add_note
from app.services.tickets import assign


@pytest.fixture
def alice(make_agent):
    return make_agent(role="support", name="Alice Agent", password=None)


@pytest.fixture
def bob(make_agent):
    return make_agent(role="manager", name="Bob Boss", password=None)


def kinds_of(agent):
    rows, _ = notifications.page(agent)
    return [(n.kind, n.ticket_id, n.actor_id) for n in rows]


def test_assignment_by_a_colleague_is_stored_and_announced(app, fake_channel, alice, bob):
    ticket = fake_channel.receive("Where is my parcel?", email="c@example.net").ticket
    with get_bus().subscribe() as events:
        assign(ticket, alice, actor=bob)
        seen = [e for e in iter(lambda: events.get(timeout=0.01), None) if e["type"] == "notification"]
    assert kinds_of(alice) == [("assigned", ticket.id, bob.id)]
    assert notifications.unread_count(alice) == 1
    assert [e["data"]["agent_id"] for e in seen] == [alice.id]
    assert seen[0]["data"]["unread"] == 1 and seen[0]["data"]["by"] == "Bob Boss"
    assert kinds_of(bob) == []


def test_nobody_is_told_what_they_did_themselves(app, fake_channel, alice):
    ticket = fake_channel.receive("Hi", email="c@example.net").ticket
    assign(ticket, alice, actor=alice)
    assert kinds_of(alice) == []


def test_rule_assignment_has_no_actor(app, fake_channel, alice):
    ticket = fake_channel.receive("Hi", email="c@example.net").ticket
    assert claim(ticket.id, alice)
    assert kinds_of(alice) == [("assigned", ticket.id, None)]


def test_mention_in_a_note(app, fake_channel, alice, bob):
    ticket = fake_channel.receive("Hi", email="c@example.net").ticket
    note = add_note(ticket, alice, "@Bob please refund; @alice too")  # naming yourself tells nobody
    rows, _ = notifications.page(bob)
    assert [(n.kind, n.message_id, n.actor.name) for n in rows] == [("mention", note.id, "Alice Agent")]
    assert kinds_of(alice) == []


def test_customer_reply_on_my_ticket(app, fake_channel, alice, bob):
    ticket = fake_channel.receive("Hi", email="c@example.net").ticket
    assign(ticket, alice, actor=bob)
    fake_channel.receive("Any news?", email="c@example.net")
    assert [k for k, _, _ in kinds_of(alice)] == ["reply", "assigned"]
    assert notifications.unread_count(alice) == 2


def test_new_tickets_only_for_agents_who_opted_in(app, fake_channel, alice, bob, make_agent):
    analyst = make_agent(role="analyst", password=None)
    notifications.save_preferences(analyst, False, False, ["new_ticket"])  # no inbox: never told
    notifications.save_preferences(bob, True, False, ["new_ticket", "bogus"])
    assert notifications.preferences(bob) == {"sound": True, "desktop": False, "kinds": ["new_ticket"]}
    ticket = fake_channel.receive("Hello", email="c@example.net").ticket
    assert kinds_of(bob) == [("new_ticket", ticket.id, None)]
    assert kinds_of(alice) == [] and kinds_of(analyst) == []
    # Bob turned assignments off: none stored.
    assign(ticket, bob, actor=alice)
    assert [k for k, _, _ in kinds_of(bob)] == ["new_ticket"]


def test_defaults_and_deactivated_agents(app, fake_channel, alice, bob):
    assert notifications.preferences(alice) == {
        "sound": False,
        "desktop": False,
        "kinds": ["assigned", "mention", "reply"],
    }
    ticket = fake_channel.receive("Hi", email="c@example.net").ticket
    alice.is_active = False
    alice.save()
    add_note(ticket, bob, "@alice are you there?")
    assert kinds_of(alice) == []


def test_mark_read_one_all_and_by_opening_the_ticket(app, fake_channel, alice, bob, clock):
    first = fake_channel.receive("One", email="one@example.net").ticket
    second = fake_channel.receive("Two", email="two@example.net").ticket
    assign(first, alice, actor=bob)
    assign(second, alice, actor=bob)
    add_note(first, bob, "@alice see this")
    assert notifications.unread_count(alice) == 3

    assert notifications.mark_ticket_read(alice, first) == 2
    assert notifications.unread_count(alice) == 1
    (left,) = notifications.page(alice, unread_only=True)[0]
    assert left.ticket_id == second.id
    assert notifications.mark_read(alice, left.id).read_at == clock.now()
    assert notifications.unread_count(alice) == 0

    add_note(second, bob, "@alice and this")
    assert notifications.mark_all_read(alice) == 1
    assert notifications.unread_count(alice) == 0
    with pytest.raises(NotFound):  # only one's own
        notifications.mark_read(bob, left.id)


def test_keyset_pages_without_n_plus_one(app, fake_channel, alice, bob):
    tickets = [fake_channel.receive(f"Q{i}", email=f"c{i}@example.net").ticket for i in range(7)]
    for t in tickets:
        assign(t, alice, actor=bob)
    with assert_query_count(1):
        rows, cursor = notifications.page(alice, limit=5)
        names = [(n.ticket.subject, n.actor.name if n.actor else None) for n in rows]
    assert len(names) == 5 and cursor == rows[-1].id
    rest, end = notifications.page(alice, limit=5, cursor=cursor)
    assert [n.ticket_id for n in rows + rest] == [t.id for t in reversed(tickets)] and end is None
    with assert_query_count(1):
        assert notifications.unread_count(alice) == 7


def test_list_and_unread_count_are_indexed(app):
    from app.db import db

    indexes = {tuple(i.columns) for i in db.get_indexes("notification")}
    assert {("agent_id", "id"), ("agent_id", "read_at"), ("agent_id", "ticket_id", "read_at")} <= indexes
