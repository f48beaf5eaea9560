"""Fixtures for the reports plugin tests: agents without passwords, a fake
channel, and helpers that read the reports through the service layer."""

import datetime as dt
import os

import pytest


@pytest.fixture
def report(app):
    """``report(kind, days=7, **filters)``: a report over the last ``days``
    days up to the clock's today (UTC by default), through the service."""
    from plugins.reports import queries
    from plugins.reports.models import NO_AGENT

    def run(kind="summary", days=7, start=None, end=None, channel=None, agent=None, tag=None, by=None):
        if start is None:
            start, end = queries.preset(days)
        agent_key = NO_AGENT if agent == "none" else (agent.id if agent is not None else None)
        q = queries.Query(start, end, channel, agent_key, tag)
        if kind == "summary":
            return queries.summary(q)
        if kind == "daily":
            return queries.daily(q)
        return queries.groups(q, by or {"channels": "channel", "agents": "agent", "tags": "tag"}[kind])

    return run


@pytest.fixture
def cycles(app):
    """``cycles(ticket)``: the stored cycle facts of a ticket, in order."""
    from plugins.reports.models import ReportCycle

    def read(ticket):
        return list(ReportCycle.select().where(ReportCycle.ticket_id == ticket.id).order_by(ReportCycle.cycle))

    return read


@pytest.fixture
def deliver(app):
    """``deliver(message)``: run the outbox delivery of a queued reply now
    (tests run tasks immediately, so replies are normally sent already)."""
    from app.models import Outbox
    from app.services import outbox

    def run(message):
        row = Outbox.get(Outbox.message == message.id)
        return outbox.attempt(row.id)

    return run


MINUTE = dt.timedelta(minutes=1)


IMG_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, "name")``: with ``UI_SCREENSHOTS=1`` writes
    docs/img/name.png for the guides; otherwise into the test's temporary
    folder, so an ordinary run leaves the worktree clean."""
    folder = IMG_DIR if os.environ.get("UI_SCREENSHOTS") == "1" else str(tmp_path)

    def shoot(page, name):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    return shoot
