"""The facts of many tickets changed in one transaction are synced by one
task per batch (issue 16: a sweep of 10,000 closes made 10,000 enqueues,
each its own commit on a SQLite queue), and still before the call returns
when tasks run inline."""

from app.plugins import get_plugins
from app.services import messages


def test_a_sweep_syncs_its_closed_tickets_facts_in_one_task(app, fake_channel, make_agent, clock, cycles):
    from plugins.autoclose.sweep import sweep

    get_plugins().set_enabled("autoclose", True)
    get_plugins().set_settings("autoclose", {"inactivity_days": 2})
    agent = make_agent(role="support")
    quiet = [fake_channel.receive(f"Question {i}", email=f"q{i}@example.net").ticket for i in range(3)]
    for ticket in quiet:
        messages.reply(ticket, agent, "Could you send the order number?")
    clock.advance(days=2, minutes=1)

    huey = app.extensions["helpline.huey"]
    ran = []

    @huey.signal("executing")
    def record(signal, task, *args):
        ran.append((task.name.rsplit(".", 1)[-1], task.args))

    try:
        assert sorted(sweep()) == sorted(t.id for t in quiet)
    finally:
        huey.disconnect_signal(record)

    facts_tasks = [(name, sorted(args[0])) for name, args in ran if "ticket_facts" in name]
    assert facts_tasks == [("sync_many_ticket_facts", sorted(t.id for t in quiet))]
    for ticket in quiet:
        assert cycles(ticket)[0].closed_reason == "inactivity", "synced before sweep() returned"
