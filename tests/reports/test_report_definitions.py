"""Each definition of docs/reports.md on a small case computed by hand, on
the kit's frozen clock (2026-01-05 09:00 UTC, a Monday)."""

import datetime as dt

from app.plugins import get_plugins
from app.services import messages, tickets
from plugins.reports.store import sync_ticket


def test_first_response_skips_notes_notices_bots_and_automatic_replies(fake_channel, make_agent, clock, cycles, report):
    agent = make_agent(role="support")
    ticket = fake_channel.receive("Where is my parcel?").ticket  # 09:00
    clock.advance(minutes=1)
    messages.reply(
        ticket, None, "Hi! We will be with you shortly.", author_type="bot", meta={"webchat_auto": "greeting"}
    )
    clock.advance(minutes=1)
    messages.add_note(ticket, agent, "Checking the carrier")
    clock.advance(minutes=1)
    messages.add_notice(ticket, "Automatic SMS reply sent: ...", meta={"sms": {"automatic": "autoresponder"}})
    clock.advance(minutes=1)
    messages.reply(ticket, None, "An AI answer", author_type="bot")
    clock.advance(minutes=6)
    messages.reply(ticket, agent, "It left the warehouse today.")  # 09:10
    clock.advance(minutes=5)
    messages.reply(ticket, agent, "Tracking: 123")

    (cycle,) = cycles(ticket)
    assert cycle.first_response_at == dt.datetime(2026, 1, 5, 9, 10)
    assert cycle.frt_seconds == 600
    assert cycle.responder_key == agent.id
    current = report("summary")["current"]
    assert current["first_response"] == {"count": 1, "median": 600, "p90": 600, "average": 600}
    assert current["replies"] == 2  # only the agent's two replies


def test_a_reply_that_never_delivers_is_no_response(fake_channel, make_agent, clock, cycles, deliver):
    agent = make_agent(role="support")
    ticket = fake_channel.receive("Hello?").ticket
    fake_channel.fail_next.append(Exception("provider down"))
    clock.advance(minutes=2)
    failed = messages.reply(ticket, agent, "First try")  # queued, attempt failed: retried later
    assert cycles(ticket)[0].frt_seconds is None
    clock.advance(minutes=3)
    messages.reply(ticket, agent, "Second try")  # delivered at 09:05
    assert cycles(ticket)[0].frt_seconds == 300
    # The first reply is delivered on retry: it was written first, so it is the first response.
    clock.advance(hours=1)
    assert deliver(failed) == "sent"
    assert cycles(ticket)[0].frt_seconds == 120


def test_reopen_starts_a_new_cycle(fake_channel, make_agent, clock, cycles, report):
    agent = make_agent(role="support")
    ticket = fake_channel.receive("My order is late", email="ann@example.net").ticket  # 09:00
    tickets.assign(ticket, agent)
    clock.advance(minutes=20)
    messages.reply(ticket, agent, "Sorry, on its way")
    clock.advance(minutes=10)
    tickets.close(ticket, actor=agent)  # 09:30
    clock.advance(minutes=30)
    fake_channel.receive("It still has not arrived", email="ann@example.net")  # 10:00 reopens
    clock.advance(minutes=45)
    messages.reply(ticket, agent, "Refund sent")  # 10:45

    first, second = cycles(ticket)
    assert (first.cycle, first.frt_seconds, first.resolution_seconds, first.closed_reason) == (1, 1200, 1800, "agent")
    assert (second.cycle, second.started_at, second.frt_seconds, second.closed_at) == (
        2,
        dt.datetime(2026, 1, 5, 10, 0),
        2700,
        None,
    )
    current = report("summary")["current"]
    assert (current["created"], current["reopened"], current["closed"]) == (1, 1, 1)
    assert current["first_response"]["count"] == 2
    assert report("summary")["backlog"] == {"open": 1, "snoozed": 0}


def test_auto_close_counts_as_resolved_for_inactivity(fake_channel, make_agent, clock, cycles, report):
    from plugins.autoclose.sweep import sweep

    get_plugins().set_enabled("autoclose", True)
    get_plugins().set_settings("autoclose", {"inactivity_days": 2})
    agent = make_agent(role="support")
    quiet = fake_channel.receive("Can I change my address?", email="q@example.net").ticket
    solved = fake_channel.receive("Thanks, all good", email="s@example.net").ticket
    clock.advance(hours=1)
    messages.reply(quiet, agent, "Yes, what is the new one?")
    tickets.close(solved, actor=agent)  # 10:00
    clock.advance(days=2, minutes=1)
    assert sweep() == [quiet.id]

    assert cycles(quiet)[0].closed_reason == "inactivity"
    assert cycles(quiet)[0].resolution_seconds == 2 * 86400 + 3660
    current = report("summary")["current"]
    assert (current["closed"], current["auto_closed"], current["auto_closed_share"]) == (2, 1, 0.5)
    assert current["resolution"]["count"] == 2


def test_business_hours_skip_nights_and_weekends(fake_channel, make_agent, clock, cycles, report):
    get_plugins().set_settings(
        "reports",
        {
            "business_hours": "custom",
            "hours_timezone": "UTC",
            "hours_schedule": {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    )
    agent = make_agent(role="support")
    clock.set(dt.datetime(2026, 1, 9, 16, 0))  # Friday, one business hour left
    ticket = fake_channel.receive("Before the weekend").ticket
    clock.set(dt.datetime(2026, 1, 12, 10, 0))  # Monday, one business hour in
    messages.reply(ticket, agent, "Good morning")
    clock.set(dt.datetime(2026, 1, 13, 8, 0))  # Tuesday before opening
    tickets.close(ticket, actor=agent)

    (cycle,) = cycles(ticket)
    assert cycle.frt_seconds == 66 * 3600
    assert cycle.frt_bh_seconds == 2 * 3600
    assert cycle.resolution_seconds == (3 * 24 + 16) * 3600
    assert cycle.resolution_bh_seconds == 1 * 3600 + 8 * 3600  # Friday 16-17, Monday 9-17
    current = report("summary", days=7)["current"]
    assert current["first_response_business"]["median"] == 7200
    assert current["resolution_business"]["median"] == 9 * 3600


def test_tags_and_assignee_are_taken_at_close(fake_channel, make_agent, clock, cycles, report):
    ada, bob = make_agent(role="support", name="Ada"), make_agent(role="support", name="Bob")
    ticket = fake_channel.receive("Refund please").ticket
    tickets.assign(ticket, ada)
    tickets.change_tags(ticket, add=["refund", "vip"])
    clock.advance(minutes=5)
    tickets.assign(ticket, bob)
    tickets.change_tags(ticket, remove=["vip"])
    clock.advance(minutes=5)
    tickets.close(ticket, actor=bob)
    clock.advance(minutes=5)
    tickets.change_tags(ticket, add=["late-tag"])  # after the close: not part of the cycle
    tickets.assign(ticket, ada)
    sync_ticket(ticket.id)

    (cycle,) = cycles(ticket)
    assert cycle.agent_key == bob.id
    by_tag = {r["key"]: r for r in report("tags")["rows"]}
    assert set(by_tag) == {"refund"}
    assert by_tag["refund"]["closed"] == 1
    by_agent = {r["label"]: r["closed"] for r in report("agents")["rows"]}
    assert by_agent == {"Bob": 1}
    assert report("summary", tag="vip")["current"]["closed"] == 0


def test_median_p90_and_average_by_nearest_rank(fake_channel, make_agent, clock, report):
    agent = make_agent(role="support")
    waits = [5, 10, 20, 30]  # minutes
    for i, minutes in enumerate(waits):
        clock.set(dt.datetime(2026, 1, 5, 9, 0))
        ticket = fake_channel.receive("Hi", email=f"c{i}@example.net").ticket
        clock.advance(minutes=minutes)
        messages.reply(ticket, agent, "Hello")
    frt = report("summary")["current"]["first_response"]
    # Sorted 5, 10, 20, 30: the median is the 2nd value (ceil(0.5 * 4)), p90 the 4th (ceil(0.9 * 4)).
    assert frt == {"count": 4, "median": 600, "p90": 1800, "average": round(65 * 60 / 4)}


def test_days_follow_the_report_time_zone(fake_channel, clock, report):
    get_plugins().set_settings("reports", {"timezone": "America/New_York"})
    clock.set(dt.datetime(2026, 1, 5, 3, 0))  # 22:00 on Jan 4 in New York
    fake_channel.receive("Late night question")
    days = {d["day"]: d["created"] for d in report("daily", start=dt.date(2026, 1, 4), end=dt.date(2026, 1, 5))["days"]}
    assert days == {dt.date(2026, 1, 4): 1, dt.date(2026, 1, 5): 0}


def test_backlog_splits_snoozed_from_open_per_day(fake_channel, make_agent, clock, report):
    agent = make_agent(role="support")
    a = fake_channel.receive("One", email="one@example.net").ticket
    fake_channel.receive("Two", email="two@example.net")
    tickets.snooze(a, clock.now() + dt.timedelta(days=3), actor=agent)
    clock.advance(days=1)
    tickets.set_status(a, "open", actor=agent)  # woken by hand on Jan 6
    clock.advance(days=1)
    tickets.close(a, actor=agent)  # Jan 7
    rows = report("daily", start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 7))["days"]
    assert [(d["backlog_open"], d["backlog_snoozed"]) for d in rows] == [(1, 1), (2, 0), (1, 0)]


def test_long_ranges_read_whole_weeks_and_the_days_around_them(fake_channel, make_agent, clock, report):
    from plugins.reports.queries import split_weeks

    # Tuesday Dec 16 to Monday Jan 5: whole weeks Dec 22-28 and Dec 29-Jan 4, plus Dec 16-21 and Jan 5.
    assert split_weeks(dt.date(2025, 12, 16), dt.date(2026, 1, 5)) == (
        (dt.date(2025, 12, 22), dt.date(2025, 12, 29)),
        [(dt.date(2025, 12, 16), dt.date(2025, 12, 21)), (dt.date(2026, 1, 5), dt.date(2026, 1, 5))],
    )
    assert split_weeks(dt.date(2026, 1, 6), dt.date(2026, 1, 10)) == (
        None,
        [(dt.date(2026, 1, 6), dt.date(2026, 1, 10))],
    )
    agent = make_agent(role="support")
    waits = {dt.date(2025, 12, 17): 1, dt.date(2025, 12, 23): 2, dt.date(2025, 12, 30): 3, dt.date(2026, 1, 5): 4}
    for i, (day, minutes) in enumerate(waits.items()):
        clock.set(dt.datetime.combine(day, dt.time(10, 0)))
        ticket = fake_channel.receive("Hi", email=f"w{i}@example.net").ticket
        clock.advance(minutes=minutes)
        messages.reply(ticket, agent, "Hello")
    frt = report("summary", start=dt.date(2025, 12, 16), end=dt.date(2026, 1, 5))["current"]["first_response"]
    assert frt == {"count": 4, "median": 120, "p90": 240, "average": 150}
    frt = report("summary", start=dt.date(2025, 12, 22), end=dt.date(2025, 12, 28))["current"]["first_response"]
    assert frt == {"count": 1, "median": 120, "p90": 120, "average": 120}
