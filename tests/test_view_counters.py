"""The navigation's counter rows (``ticket_tally``, ``ticket_tag_tally``,
``read_tally``, kept by the triggers of migration 0015) and the tag rows'
copies of their ticket (migration 0020) agree with the tickets themselves
after any mix of changes, on SQLite and PostgreSQL."""

import datetime as dt
import random
import threading
import time

import pytest
from peewee import Case, fn
from playhouse.test_utils import assert_query_count

from app.db import connection, db, is_postgres
from app.models import Message, Profile, ReadMarker, Tag, Ticket, TicketTag
from app.services import ServiceError
from app.services.merge import merge, split
from app.services.tickets import assign, bulk, change_tags, close, reopen, snooze
from app.services.views import COUNT_CAP, create_view, list_tickets, mark_read

TAGS = ("vip", "refund", "late")


def tallied():
    """The counter rows, summed over their shards."""
    tickets = {
        (s, a, c): (n, i)
        for s, a, c, n, i in db.execute_sql(
            "SELECT status, assignee_id, channel, SUM(n), SUM(n_inbound) FROM ticket_tally "
            "GROUP BY status, assignee_id, channel HAVING SUM(n) <> 0 OR SUM(n_inbound) <> 0"
        ).fetchall()
    }
    tags = dict(
        ((s, t), n)
        for s, t, n in db.execute_sql(
            "SELECT status, tag_id, SUM(n) FROM ticket_tag_tally GROUP BY status, tag_id HAVING SUM(n) <> 0"
        ).fetchall()
    )
    read = dict(
        ((a, o), n)
        for a, o, n in db.execute_sql(
            "SELECT agent_id, own, SUM(n) FROM read_tally GROUP BY agent_id, own HAVING SUM(n) <> 0"
        ).fetchall()
    )
    return (
        {k: (int(n), int(i)) for k, (n, i) in tickets.items()},
        {k: int(v) for k, v in tags.items()},
        {k: int(v) for k, v in read.items()},
    )


def counted():
    """The same numbers counted from the tickets, tags and read markers."""
    tickets, tags, read = {}, {}, {}
    rows = list(
        Ticket.select(Ticket.id, Ticket.status, Ticket.assignee, Ticket.channel, Ticket.last_inbound_message_id)
    )
    by_id = {t.id: t for t in rows}
    for t in rows:
        key = (t.status, t.assignee_id or 0, t.channel)
        n, i = tickets.get(key, (0, 0))
        tickets[key] = (n + 1, i + (1 if (t.last_inbound_message_id or 0) > 0 else 0))
    for tt in TicketTag.select():
        key = (by_id[tt.ticket_id].status, tt.tag_id)
        tags[key] = tags.get(key, 0) + 1
    for m in ReadMarker.select():
        t = by_id[m.ticket_id]
        inbound = t.last_inbound_message_id or 0
        if t.status == "open" and inbound > 0 and m.last_read_message_id >= inbound:
            if t.assignee_id in (None, m.agent_id):
                key = (m.agent_id, 0 if t.assignee_id is None else 1)
                read[key] = read.get(key, 0) + 1
    return tickets, tags, read


def markers():
    """Every read marker with its ticket's state, for a failure message."""
    return [
        (m.agent_id, m.ticket_id, m.last_read_message_id, t.status, t.assignee_id, t.last_inbound_message_id)
        for m in ReadMarker.select().order_by(ReadMarker.ticket, ReadMarker.agent)
        for t in [Ticket.get_by_id(m.ticket_id)]
    ]


def unread_by_hand(agent):
    """Open tickets in My inbox plus Unassigned with an inbound message the agent has not read."""
    markers = dict(
        ReadMarker.select(ReadMarker.ticket, ReadMarker.last_read_message_id)
        .where(ReadMarker.agent == agent.id)
        .tuples()
    )
    return sum(
        1
        for t in Ticket.select().where(
            (Ticket.status == "open") & (Ticket.assignee.is_null() | (Ticket.assignee == agent.id))
        )
        if (t.last_inbound_message_id or 0) > markers.get(t.id, 0)
    )


def nav(app, agent):
    from app.web.nav import nav_data

    with app.test_request_context("/"):
        return nav_data(agent)


def check(app, agents):
    first = tallied()
    truth = counted()
    # A mismatch says whether it persists: read again (a second read that
    # agrees with the tickets means the first one saw a moment in flight).
    assert first == truth, {"tallied again": tallied(), "counted again": counted(), "markers": markers()}
    for agent in agents:
        data = nav(app, agent)
        mine = Ticket.select().where((Ticket.status == "open") & (Ticket.assignee == agent.id)).count()
        unassigned = Ticket.select().where((Ticket.status == "open") & Ticket.assignee.is_null()).count()
        everything_open = Ticket.select().where(Ticket.status == "open").count()
        assert [i["count"] for i in data["items"]] == [mine, unassigned, everything_open]
        assert data["unread"] == unread_by_hand(agent)
    stale = list(
        TicketTag.select(TicketTag.id)
        .join(Ticket)
        .where(
            (TicketTag.status != Ticket.status)
            | (TicketTag.assignee_id != fn.COALESCE(Ticket.assignee, 0))
            | (TicketTag.channel != Ticket.channel)
            | (TicketTag.updated_at != Ticket.updated_at)
            | TicketTag.status.is_null()
        )
        .tuples()
    )
    assert stale == []
    # What an agent sees: their tagged open tickets, listed from those copies.
    for agent in agents:
        for tag in TAGS:
            listed = [
                t.id
                for t in list_tickets(agent, "all", {"status": ["open"], "tag": tag, "assignee": "me"}, limit=100)[0]
            ]
            truth = [
                t.id
                for t in Ticket.select(Ticket.id)
                .join(TicketTag)
                .join(Tag)
                .where((Tag.name == tag) & (Ticket.status == "open") & (Ticket.assignee == agent.id))
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            ]
            assert listed == truth, (agent.id, tag)


def _later_message(rng, ticket):
    ids = [
        m.id
        for m in Message.select(Message.id).where(Message.ticket == ticket.id).order_by(Message.created_at, Message.id)
    ]
    return rng.choice(ids[1:]) if len(ids) > 1 else None


@pytest.mark.parametrize("seed", [16, 1600])
def test_counters_match_the_tickets_after_a_random_mix_of_changes(app, fake_channel, make_agent, clock, seed):
    rng = random.Random(seed)
    agents = [make_agent(), make_agent(), make_agent(role="manager")]
    senders = [f"customer{i}@example.net" for i in range(8)]
    for sender in senders[:4]:
        fake_channel.receive("first question", email=sender, subject=sender)
    check(app, agents)
    done = set()
    for step in range(120):
        clock.advance(minutes=1)
        tickets = list(Ticket.select())
        ticket = rng.choice(tickets) if tickets else None
        actor = rng.choice(agents)
        op = rng.choice(
            ["receive", "receive", "assign", "unassign", "tag", "untag", "close", "reopen", "snooze", "read",
             "read", "split", "merge", "bulk", "sweep", "delete"]
        )  # fmt: skip
        try:
            if op == "receive" or ticket is None:
                fake_channel.receive(f"message {step}", email=rng.choice(senders), subject=f"step {step}")
            elif op == "assign":
                assign(ticket, rng.choice(agents), actor=actor)
            elif op == "unassign":
                assign(ticket, None, actor=actor)
            elif op == "tag":
                change_tags(ticket, add=rng.sample(TAGS, 2), actor=actor)
            elif op == "untag":
                change_tags(ticket, remove=[rng.choice(TAGS)], actor=actor)
            elif op == "close":
                close(ticket, actor=actor)
            elif op == "reopen":
                reopen(ticket, actor=actor)
            elif op == "snooze":
                snooze(ticket, clock.now() + dt.timedelta(days=1), actor=actor)
            elif op == "read":
                mark_read(actor, ticket)
            elif op == "split":
                pivot = _later_message(rng, ticket)
                if pivot:
                    split(ticket.id, pivot, actor)
            elif op == "merge":
                same = [t for t in tickets if t.profile_id == ticket.profile_id and t.id != ticket.id]
                if same:
                    merge(ticket.id, rng.choice(same).id, actor)
            elif op == "bulk":
                ids = [t.id for t in rng.sample(tickets, min(4, len(tickets)))]
                action = rng.choice(["assign", "unassign", "tag", "untag", "close", "reopen"])
                bulk(ids, action, actor, {"assignee_id": actor.id, "tags": [rng.choice(TAGS)]})
            elif op == "sweep":
                # One statement over many tickets, as the auto-close sweep closes a batch.
                ids = [t.id for t in tickets if t.status != "closed"][:5]
                Ticket.update(status="closed", closed_at=clock.now(), closed_reason="inactivity").where(
                    Ticket.id.in_(ids)
                ).execute()
            elif op == "delete":
                # A customer erased: their tickets, tags and read markers go by cascade.
                Profile.delete_by_id(ticket.profile_id)
        except ServiceError:
            pass  # e.g. merging a merged ticket: refused, and nothing changed
        done.add(op)
        if step % 10 == 9:
            check(app, agents)
    check(app, agents)
    assert {"receive", "assign", "tag", "untag", "close", "read", "bulk", "sweep"} <= done


def test_counters_stay_exact_under_concurrent_writers(app, fake_channel, make_agent, clock):
    agents = [make_agent() for _ in range(3)]
    tickets = [fake_channel.receive("hi", email=f"c{i}@example.net").ticket for i in range(24)]
    for t in tickets[:6]:
        change_tags(t, add=["vip"])
    errors, barrier = [], threading.Barrier(4)

    def work(n):
        rng = random.Random(n)
        with app.app_context(), connection():
            barrier.wait()
            try:
                for ticket in rng.sample(tickets, 12):
                    ticket = Ticket.get_by_id(ticket.id)
                    action = rng.choice(("assign", "close", "tag", "read"))
                    if action == "assign":
                        assign(ticket, rng.choice(agents))
                    elif action == "close":
                        close(ticket)
                    elif action == "tag":
                        change_tags(ticket, add=["refund"])
                    else:
                        mark_read(rng.choice(agents), ticket)
            except Exception as exc:  # reported below: a lost update or a deadlock fails the test
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check(app, agents)


def _waiting_on_a_row_lock():
    """PostgreSQL: some session of this test's database waits for a lock.
    SQLite has one writer, so there a second writer always waits: True."""
    if not is_postgres():
        return True
    return (
        db.execute_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        > 0
    )


@pytest.mark.parametrize("change", ["close", "assign"])
def test_a_ticket_changed_while_an_agent_reads_it_is_counted_once(app, fake_channel, make_agent, change):
    # The race the concurrent-writers test above hits now and then, made
    # certain: the ticket's change is in flight (not committed) when the
    # agent's read marker is written.
    agent, other = make_agent(), make_agent()
    ticket = fake_channel.receive("hi", email="c@example.net").ticket
    changed, release, errors = threading.Event(), threading.Event(), []

    def change_and_hold():
        with app.app_context(), connection():
            try:
                with db.atomic():
                    held = Ticket.get_by_id(ticket.id)
                    close(held) if change == "close" else assign(held, other)
                    changed.set()
                    release.wait(60)
            except Exception as exc:
                errors.append(exc)
                changed.set()

    def read():
        with app.app_context(), connection():
            try:
                mark_read(agent, Ticket.get_by_id(ticket.id))
            except Exception as exc:
                errors.append(exc)

    writer = threading.Thread(target=change_and_hold)
    writer.start()
    assert changed.wait(60)
    reader = threading.Thread(target=read)
    reader.start()
    deadline = time.monotonic() + 60
    while reader.is_alive() and not _waiting_on_a_row_lock() and time.monotonic() < deadline:
        pass
    release.set()
    writer.join()
    reader.join()
    assert errors == []
    check(app, [agent, other])


def test_navigation_counts_take_two_queries_and_show_capped_counts(app, fake_channel, make_agent):
    me = make_agent()
    for i in range(3):
        assign(fake_channel.receive("hi", email=f"c{i}@example.net", subject=f"order {i}").ticket, me)
    for n in range(6):
        create_view(me, f"View {n}", {"status": ["open"], "channel": ["fake"]} if n % 2 else {"text": "order"})
    create_view(me, "Tagged", {"status": ["open"], "tag": "vip"})
    from app.web.nav import nav_data

    with app.test_request_context("/"):
        nav_data(me)  # the plugin-state version (the badge setting) is read once, then cached
        # The saved views, then every count and the unread badge (on PostgreSQL
        # after the statement that keeps JIT and parallel workers out of a search).
        with assert_query_count(3 if is_postgres() else 2):
            data = nav_data(me)
    assert [s["count"] for s in data["saved"]] == [3, 3, 3, 3, 3, 3, 0]
    assert [i["shown"] for i in data["items"]] == ["3", "0", "3"]
    from app.web.nav import shown

    with app.test_request_context("/"):
        assert shown(COUNT_CAP, exact=False) == "999+" and shown(COUNT_CAP, exact=True) == str(COUNT_CAP)


def test_views_no_counter_answers_count_up_to_the_cap(app, fake_channel, make_agent):
    from app.services.views import count, count_is_exact

    me = make_agent()
    profile = fake_channel.receive("x").ticket.profile_id
    rows = [
        {"channel": "fake", "thread_key": f"k{i}", "profile": profile, "subject": "bulk order"}
        for i in range(COUNT_CAP + 5)
    ]
    Ticket.insert_many(rows).execute()
    assert count(me, "all", {"text": "bulk"}) == COUNT_CAP and not count_is_exact({"text": "bulk"})
    assert count(me, "all", {"created_after": dt.datetime(2000, 1, 1)}) == COUNT_CAP
    assert count(me, "all", {"status": ["open"]}) == COUNT_CAP + 6  # from the counters: exact
    assert count_is_exact({"status": ["open"], "channel": ["fake"]})


def test_an_auto_close_sweep_leaves_every_counter_equal_to_a_fresh_count(app, fake_channel, make_agent, clock):
    """The sweep closes a batch in one ``UPDATE``: tickets of every
    assignee, tagged or not, read by their agents or not, open or snoozed."""
    from app.services import messages
    from plugins.autoclose.sweep import sweep

    app.extensions["helpline.plugins"].set_enabled("autoclose", True)
    agents = [make_agent(password=None) for _ in range(3)]
    for i in range(10):
        ticket = fake_channel.receive(f"question {i}", email=f"c{i}@example.net").ticket
        agent = agents[i % 3]
        if i % 3:
            assign(ticket, agent)
        if i % 4:
            change_tags(ticket, add=TAGS[: i % 4])
        clock.advance(minutes=1)
        messages.reply(Ticket.get_by_id(ticket.id), agent, "Answered")
        for reader in agents[: i % 4]:
            mark_read(reader, Ticket.get_by_id(ticket.id))
        if i in (4, 5):
            snooze(Ticket.get_by_id(ticket.id), clock.now() + dt.timedelta(days=7), actor=agent)
    # Not due: the customer wrote again after the reply.
    waiting = Ticket.select().order_by(Ticket.id.desc()).get()
    fake_channel.receive("still there?", email="c9@example.net")
    armed = {t.id for t in Ticket.select().where(Ticket.awaiting_customer_since.is_null(False))}
    assert len(armed) >= 8 and waiting.id not in armed
    check(app, agents)
    clock.advance(days=2, minutes=1)
    assert sorted(sweep(batch_size=4)) == sorted(armed)
    assert Ticket.select().where(Ticket.status == "closed").count() == len(armed)
    check(app, agents)


@pytest.mark.parametrize("counted_change", ["status", "assignee", "none"])
def test_a_bulk_update_changing_one_ticket_among_many_keeps_every_counter(
    app, fake_channel, make_agent, clock, counted_change
):
    """One ``UPDATE`` over many tickets that moves ``updated_at`` for all and a
    counted column for one (or none): the triggers' test for "did a counted
    column change?" (migration 0023 on PostgreSQL) must find that one ticket."""
    agents = [make_agent(password=None) for _ in range(2)]
    for i in range(12):
        ticket = fake_channel.receive(f"question {i}", email=f"c{i}@example.net").ticket
        if i % 2:
            assign(ticket, agents[i % 2])
        if i % 3:
            change_tags(ticket, add=TAGS[: i % 3 + 1])
        mark_read(agents[0], Ticket.get_by_id(ticket.id))
    check(app, agents)
    before = nav(app, agents[0])["items"]
    ids = [t.id for t in Ticket.select(Ticket.id).order_by(Ticket.id)]
    odd_one = ids[7]
    owner = Ticket.get_by_id(odd_one).assignee_id
    clock.advance(minutes=5)
    values = {"updated_at": clock.now()}
    if counted_change == "status":
        values["status"] = Case(None, [(Ticket.id == odd_one, "closed")], Ticket.status)
    elif counted_change == "assignee":
        values["assignee"] = Case(None, [(Ticket.id == odd_one, None)], Ticket.assignee)
    Ticket.update(values).where(Ticket.id.in_(ids)).execute()
    check(app, agents)
    after = [i["count"] for i in nav(app, agents[0])["items"]]
    # My inbox, Unassigned, All open: what the agent sees moves only with a counted change.
    expected = [i["count"] for i in before]
    if counted_change == "status":
        expected[2] -= 1
        if owner in (None, agents[0].id):
            expected[0 if owner else 1] -= 1
    elif counted_change == "assignee":
        expected[0] -= owner == agents[0].id
        expected[1] += 1
    assert after == expected
