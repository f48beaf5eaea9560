"""Issue 21: dry-run mode records what auto-close would have done, once per
clock and per day, without touching tickets."""

import datetime as dt

import pytest

from app.models import DryRunEntry, Message, Ticket
from app.services import dry_run, messages
from plugins.autoclose.tasks import close_inactive_tickets


@pytest.fixture
def two_waiting(fake_channel, make_agent, clock):
    agent = make_agent(name="Ann", password=None)
    made = []
    for n in range(2):
        ticket = fake_channel.receive(f"Question {n}", email=f"d{n}@example.net").ticket
        messages.reply(ticket, agent, "Answer")
        made.append(ticket)
        clock.advance(days=1)
    return made


def test_dry_run_records_and_changes_nothing(two_waiting, plugins, clock):
    plugins.set_enabled("autoclose", True)
    plugins.set_settings("autoclose", {"dry_run": True})
    before = list(Ticket.select().order_by(Ticket.id).dicts())
    messages_before = Message.select().count()
    clock.set(dt.datetime(2026, 1, 7, 9, 0))  # the first clock (Jan 5 09:00) is 2 days old
    assert close_inactive_tickets.call_local() == []
    assert dry_run.per_day("autoclose") == [(dt.date(2026, 1, 7), 1)]
    clock.advance(minutes=5)
    close_inactive_tickets.call_local()  # the next sweep: the same clock is not counted twice
    clock.set(dt.datetime(2026, 1, 8, 9, 0))
    close_inactive_tickets.call_local()
    assert dry_run.per_day("autoclose") == [(dt.date(2026, 1, 8), 1), (dt.date(2026, 1, 7), 1)]
    assert list(Ticket.select().order_by(Ticket.id).dicts()) == before
    assert Message.select().count() == messages_before
    [latest, first] = dry_run.recent("autoclose")
    assert first["ticket_id"] == two_waiting[0].id and first["status_now"] == "open"
    assert first["data"]["why"]["inputs"]["armed_by"] == "Ann"
    assert DryRunEntry.select().count() == 2


def test_switching_dry_run_off_closes_for_real(two_waiting, plugins, clock):
    plugins.set_enabled("autoclose", True)
    plugins.set_settings("autoclose", {"dry_run": True})
    clock.set(dt.datetime(2026, 1, 8, 9, 0))
    assert close_inactive_tickets.call_local() == []
    plugins.set_settings("autoclose", {"dry_run": False})
    assert sorted(close_inactive_tickets.call_local()) == sorted(t.id for t in two_waiting)


def test_the_settings_page_lists_the_dry_run(two_waiting, plugins, clock, client, login, make_agent):
    plugins.set_enabled("autoclose", True)
    plugins.set_settings("autoclose", {"dry_run": True})
    clock.set(dt.datetime(2026, 1, 8, 9, 0))
    close_inactive_tickets.call_local()
    login(client, make_agent(role="admin", password=None))
    page = client.get("/settings/plugins/autoclose").get_data(as_text=True)
    assert "<tr><td>2026-01-08</td><td>2</td></tr>" in page
    assert f'href="/t/{two_waiting[0].id}"' in page and "now open" in page


def test_round_robin_dry_run_records_the_spread_and_assigns_nothing(plugins, make_agent, fake_channel, clock):
    plugins.set_enabled("roundrobin", True)
    plugins.set_settings("roundrobin", {"dry_run": True})
    ann, bob = (make_agent(name=n, presence="online", password=None) for n in ("Ann", "Bob"))
    made = [fake_channel.receive(f"Q{n}", email=f"rr{n}@example.net").ticket for n in range(3)]
    assert [Ticket.get_by_id(t.id).assignee_id for t in made] == [None, None, None]
    entries = sorted(DryRunEntry.select().where(DryRunEntry.rule == "roundrobin"), key=lambda e: e.id)
    assert [(e.ticket_id, e.data["agent_id"]) for e in entries] == [
        (made[0].id, ann.id),
        (made[1].id, bob.id),
        (made[2].id, ann.id),
    ]
    assert entries[0].data["why"]["rule"] == "roundrobin"
    assert dry_run.per_day("roundrobin") == [(clock.now().date(), 3)]
