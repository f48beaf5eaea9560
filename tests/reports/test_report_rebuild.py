"""Rebuilding from history gives exactly what the event hooks maintained,
and neither a repeated hook nor a repeated rebuild counts anything twice."""

import datetime as dt

from app.plugins import get_plugins
from app.services import messages, tickets
from plugins.reports import rebuild
from plugins.reports.models import (
    ReportCell,
    ReportCycle,
    ReportCycleTag,
    ReportDaily,
    ReportHist,
    ReportHistWeek,
    ReportReply,
    ReportSnooze,
    ReportTag,
)
from plugins.reports.store import sync_ticket


def snapshot():
    """Facts and cube in a form independent of row ids."""
    cells = {c.id: (c.channel, c.agent_key, c.tag_key) for c in ReportCell.select()}
    tags = dict(ReportTag.select(ReportTag.id, ReportTag.name).tuples())
    cycle_key = {c.id: (c.ticket_id, c.cycle) for c in ReportCycle.select()}

    facts = sorted(tuple(str(v) for k, v in c.__data__.items() if k != "id") for c in ReportCycle.select())
    cycle_tags = sorted((cycle_key[r.cycle_id], tags[r.tag_id]) for r in ReportCycleTag.select())
    snoozes = sorted((cycle_key[s.cycle_id], str(s.start_day), str(s.end_day)) for s in ReportSnooze.select())
    replies = sorted(tuple(str(v) for k, v in r.__data__.items() if k != "id") for r in ReportReply.select())

    def named(cell):  # tag ids as names, so a rebuild may renumber nothing it need not
        channel, agent, tag = cells[cell]
        return channel, agent, str(tags.get(tag, tag))

    daily = sorted(
        (named(d.cell_id), str(d.day), tuple(v for k, v in d.__data__.items() if k not in ("cell_id", "day")))
        for d in ReportDaily.select()
        if any(v for k, v in d.__data__.items() if k not in ("cell_id", "day"))
    )
    hist = sorted(
        (named(h.cell_id), h.metric, str(h.day), h.bucket, h.n, h.total) for h in ReportHist.select() if h.n or h.total
    )
    weekly = sorted(
        (named(h.cell_id), h.metric, str(h.week), h.bucket, h.n, h.total)
        for h in ReportHistWeek.select()
        if h.n or h.total
    )
    return {
        "facts": facts,
        "tags": cycle_tags,
        "snoozes": snoozes,
        "replies": replies,
        "daily": daily,
        "hist": hist,
        "weekly": weekly,
    }


def busy_history(fake_channel, make_agent, clock):
    """A few days of varied work: assignments, tags, notes, snoozes, a
    reopen, a failed delivery, an auto-close, business hours on."""
    from plugins.autoclose.sweep import sweep

    get_plugins().set_enabled("autoclose", True)
    get_plugins().set_settings("autoclose", {"inactivity_days": 1})
    get_plugins().set_settings("reports", {"business_hours": "custom", "timezone": "Europe/Paris"})
    ada, bob = make_agent(role="support", name="Ada"), make_agent(role="manager", name="Bob")
    made = []
    for i in range(6):
        clock.advance(hours=5)
        ticket = fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket
        made.append(ticket)
        tickets.assign(ticket, ada if i % 2 else bob)
        if i % 3 == 0:
            tickets.change_tags(ticket, add=["refund", f"batch-{i % 2}"])
        clock.advance(minutes=7 * (i + 1))
        messages.add_note(ticket, ada, "looking")
        if i == 4:
            fake_channel.fail_next.append(Exception("down"))
        messages.reply(ticket, ada if i % 2 else bob, "Answer")
        if i == 2:
            tickets.snooze(ticket, clock.now() + dt.timedelta(hours=3), actor=bob)
        if i in (1, 3):
            clock.advance(hours=2)
            tickets.close(ticket, actor=ada)
    clock.advance(hours=1)
    fake_channel.receive("Back again", email="c1@example.net")  # reopens ticket 1
    tickets.wake_snoozed()
    clock.advance(days=2)
    sweep()
    return made


def test_rebuild_equals_the_live_facts(fake_channel, make_agent, clock):
    busy_history(fake_channel, make_agent, clock)
    live = snapshot()
    assert live["facts"] and live["daily"] and live["hist"] and live["snoozes"] and live["tags"]

    rebuild.rebuild()
    assert snapshot() == live
    rebuild.rebuild()
    assert snapshot() == live


def test_installing_on_an_existing_deployment_fills_the_reports(fake_channel, make_agent, clock):
    busy_history(fake_channel, make_agent, clock)
    live = snapshot()
    for model in (ReportDaily, ReportHist, ReportHistWeek, ReportCycleTag, ReportSnooze, ReportReply, ReportCycle):
        model.delete().execute()
    assert snapshot()["facts"] == []

    result = get_plugins().app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the reports from 6 tickets." in result.output
    assert snapshot() == live


def test_hooks_are_idempotent(fake_channel, make_agent, clock):
    made = busy_history(fake_channel, make_agent, clock)
    live = snapshot()
    for ticket in made:
        assert sync_ticket(ticket.id) is False
    assert snapshot() == live


def test_changed_settings_are_flagged_until_rebuilt(fake_channel, clock, report):
    clock.set(dt.datetime(2026, 1, 5, 20, 0))  # already Jan 6 in Tokyo
    ticket = fake_channel.receive("Hello").ticket
    assert ReportCycle.get(ReportCycle.ticket_id == ticket.id).start_day == dt.date(2026, 1, 5)
    assert report("summary")["meta"]["stale"] is False
    get_plugins().set_settings("reports", {"timezone": "Asia/Tokyo"})
    assert report("summary")["meta"]["stale"] is True
    rebuild.rebuild()
    assert report("summary")["meta"]["stale"] is False
    assert ReportCycle.get(ReportCycle.ticket_id == ticket.id).start_day == dt.date(2026, 1, 6)


def test_demo_leaves_the_reports_filled(app, report, tmp_path):
    """`helpline demo` runs without a worker, so the facts its events queue wait
    for one; the reports still count each demo ticket on the day the inbox
    shows it was created."""
    from collections import Counter

    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app import create_app
    from app.cli import main
    from app.models import Ticket

    config = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE_URL", "CLOCK", "PASSWORD_HASH_COST")}
    queued = create_app({**config, "HUEY_IMMEDIATE": False, "HUEY_URL": f"sqlite:///{tmp_path}/queue.sqlite3"})
    with queued.app_context():
        result = CliRunner().invoke(main, ["demo", "--tickets", "6"], obj=ScriptInfo(create_app=lambda: queued))
        assert result.exit_code == 0, result.output
        assert queued.extensions["helpline.huey"].pending_count() > 0  # facts waiting for a worker
    created = Counter(t.created_at.date() for t in Ticket.select())
    days = report("daily", days=30)["days"]
    assert {d["day"]: d["created"] for d in days if d["created"]} == dict(created)
    assert report("summary", days=30)["current"]["created"] == Ticket.select().count() == 6
