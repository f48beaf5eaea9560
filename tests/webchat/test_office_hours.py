"""Office hours at the schedule's edges, across a DST change and on closed
dates, as the widget shows them."""

import datetime as dt

import pytest

from .conftest import SITE_KEY

NEW_YORK_WEEKDAYS = {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def new_york(webchat):
    webchat.set_settings(
        "webchat", {"timezone": "America/New_York", "schedule": NEW_YORK_WEEKDAYS, "closed_dates": ["2026-03-10"]}
    )


def available(client, clock, when):
    clock.set(when)
    return client.get(f"/api/v1/webchat/config?key={SITE_KEY}").get_json()["available"]


def test_edges_of_the_day(client, clock, new_york):
    # Friday 2026-03-06, EST (UTC-5): open 14:00-22:00 UTC.
    assert available(client, clock, dt.datetime(2026, 3, 6, 13, 59, 59)) is False
    assert available(client, clock, dt.datetime(2026, 3, 6, 14, 0, 0)) is True
    assert available(client, clock, dt.datetime(2026, 3, 6, 21, 59, 59)) is True
    assert available(client, clock, dt.datetime(2026, 3, 6, 22, 0, 0)) is False  # close is exclusive


def test_weekend_is_closed(client, clock, new_york):
    assert available(client, clock, dt.datetime(2026, 3, 7, 16, 0)) is False  # Saturday noon


def test_opening_follows_local_time_across_the_dst_change(client, clock, new_york):
    # DST starts Sunday 2026-03-08: Monday 09:00 EDT is 13:00 UTC, not 14:00.
    assert available(client, clock, dt.datetime(2026, 3, 9, 12, 59)) is False
    assert available(client, clock, dt.datetime(2026, 3, 9, 13, 0)) is True
    assert available(client, clock, dt.datetime(2026, 3, 9, 20, 59)) is True
    assert available(client, clock, dt.datetime(2026, 3, 9, 21, 0)) is False
    # The same UTC instant a week earlier (EST) was before opening.
    assert available(client, clock, dt.datetime(2026, 3, 2, 13, 30)) is False


def test_closed_dates_win_over_the_schedule(client, clock, new_york):
    assert available(client, clock, dt.datetime(2026, 3, 10, 15, 0)) is False  # Tuesday, listed closed
    assert available(client, clock, dt.datetime(2026, 3, 11, 15, 0)) is True


def test_closed_date_is_the_local_date(client, clock, new_york):
    # 2026-03-11 02:00 UTC is still 2026-03-10 (22:00 EDT) in New York: closed date, and after hours.
    assert available(client, clock, dt.datetime(2026, 3, 11, 2, 0)) is False
    webchat_schedule = {**NEW_YORK_WEEKDAYS, "tue": [{"open": "00:00", "close": "24:00"}]}
    from app.plugins import get_plugins

    get_plugins().set_settings("webchat", {"schedule": webchat_schedule, "closed_dates": []})
    assert available(client, clock, dt.datetime(2026, 3, 11, 2, 0)) is True  # Tuesday evening local
