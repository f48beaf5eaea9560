"""Settings generated from schemas in a real Chromium (CSRF on; the kit's
``pages`` fails a test on console errors): the weekly office-hours editor
round trip, and round-robin's preview and dry-run sections under its
generated form. axe: no serious or critical violation. With
UI_SCREENSHOTS=1 the user guide's screenshots are written."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from app.models import Ticket
from app.testing.accessibility import BLOCKING
from app.testing.browser import timeout_factor


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def plugins(app):
    return app.extensions["helpline.plugins"]


def _saved(page):
    expect(page.locator(".flash-success")).to_have_text("Settings saved.", timeout=5000 * timeout_factor())


def test_office_hours_editor_round_trip(pages, make_agent, plugins, assert_accessible, screenshot):
    plugins.set_settings("webchat", {"schedule": {"mon": [{"open": "09:00", "close": "17:00"}]}, "timezone": "UTC"})
    page = pages.login(make_agent(role="admin", password=None), start="/settings/plugins/webchat")
    editor = page.locator("[data-week-editor=schedule]")
    assert_accessible(page, BLOCKING)

    # Monday: change the hours, then a second range through "Add times".
    monday = editor.locator('[data-day="mon"]')
    monday.get_by_label("Monday range 1, opens").fill("08:30")
    monday.get_by_label("closes (Monday range 1)").fill("12:00")
    monday.get_by_role("button", name="Add times on Monday").click()
    monday.get_by_label("Monday range 2, opens").fill("13:00")
    monday.get_by_label("closes (Monday range 2)").fill("18:00")
    # Saturday morning; Sunday stays closed.
    saturday = editor.locator('[data-day="sat"]')
    expect(saturday.locator("[data-closed-note]")).to_be_visible()
    saturday.get_by_role("button", name="Add times on Saturday").click()
    saturday.get_by_label("Saturday range 1, opens").fill("10:00")
    expect(saturday.locator("[data-closed-note]")).to_be_hidden()
    saturday.get_by_label("closes (Saturday range 1)").fill("14:00")
    # A closed date, and the zone from the picker.
    dates = page.locator("[data-date-list=closed_dates]")
    dates.get_by_role("button", name="Add a date").click()
    dates.get_by_label("Closed dates, date 1").fill("2026-12-25")
    dates.get_by_role("button", name="Add a date").click()
    dates.get_by_label("Closed dates, date 2").fill("2026-12-31")
    page.get_by_label("Time zone of the office hours").select_option("Europe/Paris")
    page.evaluate("document.querySelector('[data-field=timezone]').scrollIntoView({block: 'start'})")
    screenshot(page, "settings-office-hours")
    page.get_by_role("button", name="Save settings").click()
    _saved(page)

    settings = plugins.get_settings("webchat")
    assert settings["timezone"] == "Europe/Paris"
    assert settings["schedule"]["mon"] == [{"open": "08:30", "close": "12:00"}, {"open": "13:00", "close": "18:00"}]
    assert settings["schedule"]["sat"] == [{"open": "10:00", "close": "14:00"}]
    assert settings["schedule"]["sun"] == [] and settings["schedule"]["tue"] == []
    assert settings["closed_dates"] == [dt.date(2026, 12, 25), dt.date(2026, 12, 31)]

    # Reloaded, the editor shows the same.
    page.reload()
    monday = page.locator('[data-week-editor=schedule] [data-day="mon"]')
    assert monday.get_by_label("Monday range 1, opens").input_value() == "08:30"
    assert monday.get_by_label("closes (Monday range 2)").input_value() == "18:00"
    assert page.get_by_label("Time zone of the office hours").input_value() == "Europe/Paris"
    assert page.get_by_label("Closed dates, date 2").input_value() == "2026-12-31"
    sunday = page.locator('[data-week-editor=schedule] [data-day="sun"]')
    expect(sunday.locator("[data-closed-note]")).to_be_visible()

    # Removing a range and a bad range: the error names the day and range in words.
    monday.get_by_role("button", name="Remove Monday range 1").click()
    monday.get_by_label("Monday range 1, opens").fill("19:00")  # now 19:00-18:00
    page.get_by_role("button", name="Save settings").click()
    error = page.locator("#field-schedule-error")
    expect(error).to_have_text("Monday, range 1, closes: The closing time must be after the opening time.")
    assert_accessible(page, BLOCKING)
    assert plugins.get_settings("webchat")["schedule"]["mon"][0]["open"] == "08:30"

    # On a phone the editor fits the window (the weekday goes above its ranges).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/settings/plugins/webchat")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_round_robin_dry_run_list_and_preview(pages, make_agent, fake_channel, plugins, assert_accessible, screenshot):
    plugins.set_enabled("roundrobin", True)
    plugins.set_settings("roundrobin", {"dry_run": True})
    ann = make_agent(name="Ann", presence="online", password=None)
    made = [fake_channel.receive(f"Question {n}", email=f"q{n}@example.net", subject=f"Q{n}").ticket for n in range(2)]
    assert [Ticket.get_by_id(t.id).assignee_id for t in made] == [None, None]  # a dry run assigns nobody

    page = pages.login(make_agent(role="admin", name="Olga", password=None), start="/settings/plugins/roundrobin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Round-robin assignment settings")
    expect(page.locator(".plugin-switch [data-state]")).to_have_text("On")
    assert page.get_by_role("checkbox", name="Dry run").is_checked()
    assert page.get_by_role("group", name="Roles in the rotation").get_by_label("Support").is_checked()

    dry_run = page.locator("section#dry-run")
    expect(dry_run.get_by_role("heading")).to_have_text("Dry run: who would have got each ticket")
    day = made[0].created_at.date().isoformat()
    expect(dry_run.locator("#dry-run-days tbody tr")).to_have_text(f"{day}2")
    recent = dry_run.locator("#dry-run-recent li")
    expect(recent).to_have_count(2)
    assert f"#{made[1].id} Q1" in recent.first.inner_text() and "now open" in recent.first.inner_text()
    preview = page.locator("section#preview")
    expect(preview.locator("#preview-summary")).to_have_text(
        "1 agents online in the rotation now; 2 tickets wait in Unassigned."
    )
    assert_accessible(page, BLOCKING)
    screenshot(page, "settings-roundrobin")
    recent.first.get_by_role("link").click()
    page.wait_for_url(f"**/t/{made[1].id}**")
    assert ann.name == "Ann"


def test_a_list_setting_takes_lines_longer_than_its_item_limit(pages, make_agent, plugins):
    """A list's limit counts its lines (at most 50 storefront addresses), not
    the characters typed: two storefront addresses are 53 characters."""
    page = pages.login(make_agent(role="admin", password=None), start="/settings/plugins/webchat")
    box = page.get_by_label("Storefront addresses")
    box.fill("")
    box.press_sequentially("https://Shop.example.com:443/\nhttps://www.shop.example.com")
    expect(box).to_have_value("https://Shop.example.com:443/\nhttps://www.shop.example.com")
    page.get_by_role("button", name="Save settings").click()
    _saved(page)
    # Kept as browsers send the origin (plugins/webchat/schemas.py, Origin).
    assert plugins.get_settings("webchat")["allowed_origins"] == [
        "https://shop.example.com",
        "https://www.shop.example.com",
    ]
    expect(page.get_by_label("Storefront addresses")).to_have_value(
        "https://shop.example.com\nhttps://www.shop.example.com"
    )
