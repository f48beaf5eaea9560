"""Round-robin assignment: rotation, presence, backlog, cap, concurrency."""

import collections

import marshmallow
import pytest
from playhouse.test_utils import assert_query_count

from app.db import is_postgres
from app.models import Activity, Ticket
from app.services import agents as agent_service
from app.services import tickets
from app.services.assignment import auto_assign
from app.testing import factories
from app.testing.contracts import RuleContract
from app.testing.factories import refresh
from plugins.roundrobin.rotation import rotation


class TestRoundRobinContract(RuleContract):
    plugin_name = slug = "roundrobin"
    valid_settings = {"roles": ["support"], "max_open_per_agent": 20}
    invalid_settings = {"roles": ["analyst"], "max_open_per_agent": -1}


@pytest.fixture
def roundrobin(plugins):
    """Round-robin switched on with the default pool (managers and support)."""
    plugins.set_enabled("roundrobin", True)
    return plugins.get_settings("roundrobin")


@pytest.fixture
def online(make_agent):
    """``online(n)``: n support agents, online now, oldest first."""

    def make(n, role="support"):
        return [make_agent(role=role, name=f"Agent {chr(65 + i)}", presence="online", password=None) for i in range(n)]

    return make


@pytest.fixture
def new_ticket(fake_channel, clock):
    """``new_ticket()``: a customer writes in, one second after the last."""
    counter = iter(range(100000))

    def make():
        clock.advance(seconds=1)
        n = next(counter)
        return refresh(fake_channel.receive(f"Question {n}", email=f"buyer{n}@example.net").ticket)

    return make


def heartbeat(*agents):
    for agent in agents:
        agent_service.set_presence(agent)


def assignees(ticket_list):
    return [refresh(t).assignee_id for t in ticket_list]


def test_settings_defaults(plugins):
    # Off until the merchant turns the plugin on: its switch is the rule's.
    assert plugins.is_enabled("roundrobin") is False
    assert plugins.get_settings("roundrobin") == {
        "dry_run": False,
        "roles": ["manager", "support"],
        "max_open_per_agent": 10,
    }


@pytest.mark.parametrize(
    "data, field",
    [
        ({"roles": []}, "roles"),
        ({"roles": ["analyst"]}, "roles"),
        ({"max_open_per_agent": -1}, "max_open_per_agent"),
        ({"max_open_per_agent": "ten"}, "max_open_per_agent"),
        ({"max_open_per_agent": 1001}, "max_open_per_agent"),
    ],
)
def test_bad_settings_are_refused_with_field_errors(plugins, data, field):
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("roundrobin", data)
    assert list(err.value.messages) == [field]


def test_off_by_default_tickets_wait_in_unassigned(online, new_ticket):
    online(2)
    assert new_ticket().assignee_id is None


def test_agents_take_turns_and_nobody_is_skipped(roundrobin, online, new_ticket, hook_recorder):
    a, b, c = online(3)
    made = [new_ticket() for _ in range(7)]
    assert assignees(made) == [a.id, b.id, c.id, a.id, b.id, c.id, a.id]
    calls = hook_recorder.calls("helpline_on_ticket_assigned")
    assert [(call["ticket"].id, call["new_assignee"].id, call["actor"]) for call in calls] == [
        (t.id, refresh(t).assignee_id, None) for t in made
    ]


def test_roles_outside_the_pool_are_not_assigned(plugins, roundrobin, online, new_ticket):
    [support] = online(1)
    [manager] = online(1, role="manager")
    [admin] = online(1, role="admin")
    plugins.set_settings("roundrobin", {"roles": ["support"]})
    assert assignees([new_ticket(), new_ticket()]) == [support.id, support.id]


def test_away_and_offline_agents_are_skipped(roundrobin, online, new_ticket, clock):
    a, b, c = online(3)
    agent_service.set_presence(b, "away")
    assert assignees([new_ticket(), new_ticket(), new_ticket()]) == [a.id, c.id, a.id]
    agent_service.set_presence(b, "online")
    # B is now the least recently assigned, then C, then A.
    assert assignees([new_ticket(), new_ticket(), new_ticket()]) == [b.id, c.id, a.id]
    # C closes the laptop: no heartbeat for longer than the presence TTL.
    clock.advance(seconds=91)
    heartbeat(a, b)
    assert assignees([new_ticket(), new_ticket()]) == [b.id, a.id]


def test_nobody_online_leaves_tickets_unassigned_until_someone_logs_in(roundrobin, make_agent, new_ticket):
    a = make_agent(name="Ann", password=None)
    waiting = [new_ticket() for _ in range(3)]
    assert assignees(waiting) == [None, None, None]
    agent_service.set_presence(a, "online")
    assert assignees(waiting) == [a.id] * 3
    order = [row.ticket_id for row in Activity.select().where(Activity.action == "assigned").order_by(Activity.id)]
    assert order == [t.id for t in waiting]  # oldest first


def test_backlog_is_shared_with_the_cap_and_picked_up_when_room_frees(plugins, roundrobin, make_agent, new_ticket):
    plugins.set_settings("roundrobin", {"max_open_per_agent": 2})
    a, b = make_agent(name="Ann", password=None), make_agent(name="Bob", password=None)
    waiting = [new_ticket() for _ in range(5)]
    agent_service.set_presence(a, "online")
    assert assignees(waiting) == [a.id, a.id, None, None, None]
    agent_service.set_presence(b, "online")
    assert assignees(waiting) == [a.id, a.id, b.id, b.id, None]
    fresh = new_ticket()
    assert fresh.assignee_id is None  # everyone is at the cap
    tickets.close(refresh(waiting[0]), actor=a)
    assert assignees(waiting[4:] + [fresh]) == [a.id, None]  # the oldest waiting ticket first


def test_a_reopened_unassigned_ticket_is_assigned_again(roundrobin, online, new_ticket, fake_channel):
    a, b = online(2)
    ticket = new_ticket()
    assert ticket.assignee_id == a.id
    tickets.assign(ticket, None, actor=a)
    tickets.close(refresh(ticket), actor=a)
    fake_channel.receive("It broke again", email="buyer0@example.net")
    reopened = refresh(ticket)
    assert reopened.status == "open" and reopened.reopen_count == 1 and reopened.assignee_id == b.id


def test_rotation_costs_the_same_queries_for_any_number_of_agents(plugins, roundrobin, online):
    config = plugins.set_settings("roundrobin", {"max_open_per_agent": 5})
    online(2)
    with assert_query_count(3):  # online agents, rotation counters, open load
        assert len(rotation(config)) == 2
    online(8)
    with assert_query_count(3):
        assert len(rotation(config)) == 10


def test_fairness_over_1000_tickets_and_5_agents(plugins, roundrobin, online, clock):
    """1,000 new tickets through the core's assignment entry point (what
    ingest calls after commit); the tickets themselves are inserted in bulk
    to keep the test fast. No cap (0), so all of them go out."""
    plugins.set_settings("roundrobin", {"max_open_per_agent": 0})
    team = online(5)
    profile = factories.profile()
    at = clock.now()
    Ticket.insert_many(
        [
            {"channel": "fake", "thread_key": f"fair-{n}", "profile": profile.id, "created_at": at, "updated_at": at}
            for n in range(1000)
        ]
    ).execute()
    for n, ticket in enumerate(Ticket.select().order_by(Ticket.id)):
        if n % 200 == 0:
            heartbeat(*team)
        auto_assign(ticket)
    load = collections.Counter(t.assignee_id for t in Ticket.select(Ticket.assignee))
    assert None not in load and sum(load.values()) == 1000
    assert max(load.values()) - min(load.values()) <= 1
    assert sorted(load) == sorted(a.id for a in team)
    # Every run of five consecutive assignments covers the whole team: the
    # spread never exceeds one along the way, and nobody is skipped.
    order = [row.data["to"] for row in Activity.select().where(Activity.action == "assigned").order_by(Activity.id)]
    assert all(sorted(order[i : i + 5]) == sorted(a.id for a in team) for i in range(0, 1000, 5))


def test_16_tickets_created_at_once_are_each_assigned_once(app, roundrobin, online, fake_channel, run_in_threads):
    """Runs on both backends; on PostgreSQL (``is_postgres()``) each thread has
    its own server connection and the advisory lock serializes the rotation."""
    team = online(4)

    def create(i):
        return fake_channel.receive(f"At once {i}", email=f"rush{i}@example.net").ticket.id

    ids = run_in_threads(create, 16)
    assert len(set(ids)) == 16
    claims = collections.Counter(row.ticket_id for row in Activity.select().where(Activity.action == "assigned"))
    assert claims == {tid: 1 for tid in ids}
    load = collections.Counter(Ticket.get_by_id(tid).assignee_id for tid in ids)
    assert sorted(load) == sorted(a.id for a in team)
    assert set(load.values()) == {4}, f"uneven under concurrency ({'PostgreSQL' if is_postgres() else 'SQLite'})"


def test_agents_logging_in_one_after_another_share_a_backlog_with_the_default_cap(
    roundrobin, make_agent, new_ticket, clock
):
    """Issue 17: 25 tickets wait overnight; Ann, Bob and Cy log in a few
    minutes apart. With the default cap (10) Ann does not take them all."""
    ann, bob, cy = (make_agent(name=n, password=None) for n in ("Ann", "Bob", "Cy"))
    waiting = [new_ticket() for _ in range(25)]
    agent_service.set_presence(ann, "online")
    load = collections.Counter(assignees(waiting))
    assert load == {ann.id: 10, None: 15}
    clock.advance(minutes=3)
    heartbeat(ann)
    agent_service.set_presence(bob, "online")
    clock.advance(minutes=3)
    heartbeat(ann, bob)
    agent_service.set_presence(cy, "online")
    load = collections.Counter(assignees(waiting))
    assert load == {ann.id: 10, bob.id: 10, cy.id: 5}
    # Oldest first: Ann got the ten oldest, Bob the next ten.
    assert assignees(waiting[:10]) == [ann.id] * 10 and assignees(waiting[10:20]) == [bob.id] * 10


def test_handing_a_ticket_on_frees_room_for_the_oldest_waiting_ticket(plugins, roundrobin, make_agent, new_ticket):
    plugins.set_settings("roundrobin", {"max_open_per_agent": 1})
    ann = make_agent(name="Ann", presence="online", password=None)
    boss = make_agent(name="Olga", role="admin", password=None)  # not in the rotation
    first, second, third = new_ticket(), new_ticket(), new_ticket()
    assert assignees([first, second, third]) == [ann.id, None, None]
    tickets.assign(refresh(first), boss, actor=ann)
    assert assignees([first, second, third]) == [boss.id, ann.id, None]


def test_unassigning_hands_out_the_oldest_waiting_ticket(plugins, roundrobin, make_agent, new_ticket):
    plugins.set_settings("roundrobin", {"max_open_per_agent": 1})
    ann = make_agent(name="Ann", presence="online", password=None)
    first, second = new_ticket(), new_ticket()
    tickets.assign(refresh(second), ann, actor=ann)  # by hand: Ann now holds two
    tickets.assign(refresh(first), None, actor=ann)
    # Still at the cap with the second one: the first waits in Unassigned.
    assert assignees([first, second]) == [None, ann.id]
    tickets.assign(refresh(second), None, actor=ann)
    # Room for one: the oldest waiting ticket (the first) goes out.
    assert assignees([first, second]) == [ann.id, None]


def test_zero_means_no_cap(plugins, roundrobin, make_agent, new_ticket):
    plugins.set_settings("roundrobin", {"max_open_per_agent": 0})
    waiting = [new_ticket() for _ in range(12)]
    ann = make_agent(name="Ann", password=None)
    agent_service.set_presence(ann, "online")
    assert assignees(waiting) == [ann.id] * 12
