"""Auto-close: the clock rules of DESIGN.md §3 with the injected clock."""

import datetime as dt

import marshmallow
import pytest
from playhouse.test_utils import count_queries

from app.events import get_bus
from app.models import Message, Ticket
from app.services import messages, tickets, views
from app.testing.contracts import RuleContract
from app.testing.factories import refresh
from plugins.autoclose.sweep import sweep
from plugins.autoclose.tasks import close_inactive_tickets

NOTICE = "Ticket closed due to inactivity"


class TestAutoCloseContract(RuleContract):
    plugin_name = slug = "autoclose"
    valid_settings = {"inactivity_days": 7, "typing_grace_minutes": 10}
    invalid_settings = {"inactivity_days": 0, "typing_grace_minutes": 0}


@pytest.fixture
def autoclose(plugins):
    """Auto-close switched on with the default period (2 days)."""
    plugins.set_enabled("autoclose", True)
    return plugins.get_settings("autoclose")


@pytest.fixture
def agent(make_agent):
    return make_agent(password=None)


@pytest.fixture
def conversation(fake_channel, agent, clock):
    """A ticket the customer opened and an agent answered an hour later:
    the clock is armed at the reply. Returns (ticket, reply time)."""
    ticket = fake_channel.receive("Where is my order?", email="ann@example.net").ticket
    clock.advance(hours=1)
    messages.reply(ticket, agent, "It ships today.")
    return refresh(ticket), clock.now()


def run_sweep():
    """What huey runs every five minutes."""
    return close_inactive_tickets.call_local()


def notices(ticket):
    return list(Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice")))


def test_settings_defaults_are_off_and_two_days(plugins):
    # Off until the merchant turns the plugin on: its switch is the rule's,
    # there is no "enabled" setting.
    assert plugins.is_enabled("autoclose") is False
    settings = plugins.get_settings("autoclose")
    assert settings == {"dry_run": False, "inactivity_days": 2, "typing_grace_minutes": 5}


@pytest.mark.parametrize("days", [0, 91, -1, "two", None, 2.5])
def test_period_outside_1_to_90_days_is_refused_with_a_field_error(plugins, days):
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("autoclose", {"inactivity_days": days})
    assert list(err.value.messages) == ["inactivity_days"]
    assert "days" in " ".join(err.value.messages["inactivity_days"])
    assert plugins.get_settings("autoclose")["inactivity_days"] == 2


@pytest.mark.parametrize("days", [1, 90])
def test_period_edges_are_accepted(plugins, days):
    assert plugins.set_settings("autoclose", {"inactivity_days": days})["inactivity_days"] == days


def test_nothing_closes_while_the_plugin_is_off(conversation, clock, plugins):
    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=30))
    # Through the task runner (run_sweep calls the body directly): it skips
    # the tasks of a plugin that is off, and auto-close is off by default.
    close_inactive_tickets()
    assert refresh(ticket).status == "open"
    plugins.set_enabled("autoclose", True)
    close_inactive_tickets()
    assert refresh(ticket).status == "closed"


def test_agent_then_agent_then_silence_closes_one_period_after_the_first_reply(autoclose, conversation, agent, clock):
    ticket, replied = conversation
    clock.advance(days=1)
    messages.reply(ticket, agent, "Any news on your side?")  # does not restart the clock
    clock.set(replied + dt.timedelta(days=2) - dt.timedelta(seconds=1))
    assert run_sweep() == []
    clock.set(replied + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]
    closed = refresh(ticket)
    assert (closed.status, closed.closed_reason, closed.closed_at) == ("closed", "inactivity", clock.now())
    assert closed.awaiting_customer_since is None


def test_exactly_at_the_period_edge_the_ticket_closes(autoclose, conversation, clock, plugins):
    plugins.set_settings("autoclose", {"inactivity_days": 1})
    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=1, microseconds=-1))
    assert run_sweep() == []
    clock.set(replied + dt.timedelta(days=1))
    assert run_sweep() == [ticket.id]


def test_a_customer_reply_resets_the_clock(autoclose, conversation, fake_channel, agent, clock):
    ticket, replied = conversation
    clock.advance(days=1, hours=23)
    fake_channel.receive("Still waiting", email="ann@example.net")
    clock.set(replied + dt.timedelta(days=3))
    assert run_sweep() == [] and refresh(ticket).awaiting_customer_since is None
    messages.reply(ticket, agent, "Sorry, here is the tracking link.")
    second = clock.now()
    clock.set(second + dt.timedelta(days=2, seconds=-1))
    assert run_sweep() == []
    clock.set(second + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]


def test_internal_notes_do_not_restart_the_clock(autoclose, conversation, agent, clock):
    ticket, replied = conversation
    clock.advance(days=1, hours=12)
    messages.add_note(ticket, agent, "Customer might call back")
    clock.set(replied + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]


def test_a_reopened_ticket_starts_over(autoclose, conversation, fake_channel, agent, clock):
    ticket, replied = conversation
    tickets.close(ticket, actor=agent)
    clock.advance(hours=1)
    tickets.reopen(ticket, actor=agent)
    messages.reply(ticket, agent, "Reopening to follow up.")  # no customer message since the reopen
    clock.advance(days=10)
    assert run_sweep() == [] and refresh(ticket).status == "open"
    fake_channel.receive("Thanks, one more question", email="ann@example.net")
    clock.advance(minutes=10)
    messages.reply(ticket, agent, "Sure, go ahead.")
    armed = clock.now()
    clock.set(armed + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]


def test_snoozed_tickets_close_too(autoclose, conversation, agent, clock, hook_recorder):
    ticket, replied = conversation
    tickets.snooze(ticket, replied + dt.timedelta(days=10), actor=agent)
    clock.set(replied + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]
    closed = refresh(ticket)
    assert closed.status == "closed" and closed.snoozed_until is None
    [event] = hook_recorder.calls("helpline_on_ticket_status_changed")[-1:]
    assert (event["old_status"], event["new_status"], event["reason"]) == ("snoozed", "closed", "inactivity")


def test_a_typing_customer_gets_the_grace_period_and_is_retried(autoclose, conversation, clock):
    ticket, replied = conversation
    edge = replied + dt.timedelta(days=2)
    Ticket.update(customer_typing_until=edge + dt.timedelta(seconds=30)).where(Ticket.id == ticket.id).execute()
    clock.set(edge)
    assert run_sweep() == []
    clock.set(edge + dt.timedelta(minutes=5))  # within 5 minutes after the last typing signal
    assert run_sweep() == []
    clock.set(edge + dt.timedelta(minutes=6))
    assert run_sweep() == [ticket.id]


def test_a_bot_reply_arms_the_clock_too(autoclose, fake_channel, clock):
    ticket = fake_channel.receive("Hi bot", email="bo@example.net").ticket
    messages.reply(ticket, None, "I am the assistant, how can I help?", author_type="bot")
    clock.advance(days=2)
    assert run_sweep() == [ticket.id]


def test_the_thread_gets_the_notice_and_everyone_hears_of_the_close(app, autoclose, conversation, clock, hook_recorder):
    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=2))
    with get_bus().subscribe() as sub:
        run_sweep()
        events = []
        while len([e for e in events if e["type"] in ("ticket.updated", "message.created")]) < 2:
            event = sub.get(timeout=5)
            assert event is not None, f"missing events, got {events}"
            events.append(event)
    [notice] = notices(ticket)
    assert (notice.text, notice.author_type, notice.direction) == (NOTICE, "system", "outbound")
    thread, _ = messages.thread(ticket)
    assert thread[-1].id == notice.id
    [changed] = hook_recorder.calls("helpline_on_ticket_status_changed")
    assert (
        changed["ticket"].id,
        changed["old_status"],
        changed["new_status"],
        changed["reason"],
        changed["actor"],
    ) == (ticket.id, "open", "closed", "inactivity", None)
    assert any(c["message"].id == notice.id for c in hook_recorder.calls("helpline_on_message_created"))
    updated = [e["data"] for e in events if e["type"] == "ticket.updated"]
    assert {"ticket_id": ticket.id, "status": "closed"}.items() <= updated[0].items()


def test_closed_tickets_stay_in_all_tickets_filtered_by_closed(autoclose, conversation, agent, clock):
    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=2))
    run_sweep()
    listed, _ = views.list_tickets(agent, view="all", filters={"status": ["closed"]})
    assert [t.id for t in listed] == [ticket.id]
    assert views.list_tickets(agent, view="unassigned")[0] == []


def test_a_second_sweep_does_nothing_more(autoclose, conversation, clock):
    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=2))
    assert run_sweep() == [ticket.id]
    clock.advance(days=5)
    assert run_sweep() == []
    assert len(notices(ticket)) == 1


def test_the_hooks_get_the_closed_tickets_and_notices_as_stored(autoclose, fake_channel, agent, clock, hook_recorder):
    """The sweep hands the hooks the rows it wrote (not read back): what a
    plugin reads from them is what the database holds."""
    ids = _due_tickets(fake_channel, agent, clock, 3)
    clock.advance(days=2)
    assert sorted(sweep()) == sorted(ids)
    fields = [f.name for f in Ticket._meta.sorted_fields]
    changed = {c["ticket"].id: c["ticket"] for c in hook_recorder.calls("helpline_on_ticket_status_changed")}
    for ticket in Ticket.select().where(Ticket.id.in_(ids)):
        assert {f: getattr(changed[ticket.id], f) for f in fields} == {f: getattr(ticket, f) for f in fields}
    created = [c for c in hook_recorder.calls("helpline_on_message_created") if c["message"].kind == "notice"]
    assert sorted(c["ticket"].id for c in created) == sorted(ids)
    fields = [f.name for f in Message._meta.sorted_fields]
    for call in created:
        stored = Message.get_by_id(call["message"].id)
        assert stored.ticket_id == call["ticket"].id
        assert {f: getattr(call["message"], f) for f in fields} == {f: getattr(stored, f) for f in fields}


def _due_tickets(fake_channel, agent, clock, n):
    made = []
    for i in range(n):
        ticket = fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket
        messages.reply(ticket, agent, "Answer")
        made.append(ticket.id)
    return made


def test_sweep_queries_do_not_grow_with_due_tickets(app, autoclose, fake_channel, agent, clock):
    """The sweep itself is set-based; only the core's per-event plugin-state
    check (one query per hook call outside a request) grows with closes."""
    from app.plugins import get_plugins

    # Other plugins' per-ticket event work (the reports' facts) is theirs to count.
    get_plugins().set_enabled("reports", False)

    def sweep_queries(n):
        start = clock.now()
        ids = _due_tickets(fake_channel, agent, clock, n)
        clock.set(start + dt.timedelta(days=2))
        with count_queries() as counter:
            assert sorted(sweep()) == sorted(ids)
        clock.advance(hours=1)
        return [q for q in counter.get_queries() if "plugin_state" not in q.msg[0]]

    small, large = sweep_queries(2), sweep_queries(12)
    assert len(small) == len(large)
    # On both backends: the due ids, then per batch the locking select, the
    # guarded update, and one insert each for the notices (returning their
    # ids) and the activity entries.
    assert [q.msg[0].split()[0] for q in small] == ["SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"]


def test_large_batches_are_closed_in_chunks(autoclose, fake_channel, agent, clock):
    ids = _due_tickets(fake_channel, agent, clock, 7)
    clock.advance(days=2)
    assert sorted(sweep(batch_size=3)) == sorted(ids)
    assert Message.select().where((Message.kind == "notice") & Message.ticket.in_(ids)).count() == 7


def test_a_customer_message_during_the_sweep_wins(app, autoclose, conversation, fake_channel, clock):
    """The due ids are read, then the customer writes before the close: the
    re-check in the closing transaction keeps the ticket open."""
    from plugins.autoclose import sweep as sweep_module

    ticket, replied = conversation
    clock.set(replied + dt.timedelta(days=2))
    original = sweep_module._close_batch

    def customer_writes_first(ids, *args):
        fake_channel.receive("Wait, I am here!", email="ann@example.net")
        return original(ids, *args)

    sweep_module._close_batch = customer_writes_first
    try:
        assert sweep() == []
    finally:
        sweep_module._close_batch = original
    assert refresh(ticket).status == "open" and notices(ticket) == []


def test_two_sweeps_at_once_close_once_with_one_notice(
    app, autoclose, fake_channel, agent, clock, run_in_threads, hook_recorder
):
    ids = _due_tickets(fake_channel, agent, clock, 6)
    clock.advance(days=2)
    hook_recorder.clear()
    results = run_in_threads(lambda i: sweep(batch_size=2), 2)
    assert sorted(results[0] + results[1]) == sorted(ids)
    assert not set(results[0]) & set(results[1])
    for tid in ids:
        assert len(notices(Ticket.get_by_id(tid))) == 1
        assert Ticket.get_by_id(tid).closed_reason == "inactivity"
    closes = [c["ticket"].id for c in hook_recorder.calls("helpline_on_ticket_status_changed")]
    assert sorted(closes) == sorted(ids)


def test_the_sweep_is_a_periodic_task_that_skips_while_the_plugin_is_disabled(
    app, autoclose, conversation, clock, plugins
):
    ticket, replied = conversation
    assert close_inactive_tickets.name == "autoclose.close_inactive_tickets"
    clock.set(replied + dt.timedelta(days=2))
    plugins.set_enabled("autoclose", False)
    close_inactive_tickets()  # through huey (immediate in tests), as the consumer runs it
    assert refresh(ticket).status == "open"
    plugins.set_enabled("autoclose", True)
    close_inactive_tickets()
    assert refresh(ticket).status == "closed"


def test_a_clock_armed_before_a_racing_customer_message_never_closes(autoclose, conversation, clock):
    """If a reply and a customer message race so that the clock stays armed
    although the customer wrote later, the sweep still leaves it open."""
    ticket, replied = conversation
    Ticket.update(last_customer_message_at=replied + dt.timedelta(seconds=1)).where(Ticket.id == ticket.id).execute()
    clock.set(replied + dt.timedelta(days=5))
    assert run_sweep() == [] and refresh(ticket).status == "open"
