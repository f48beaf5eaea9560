"""The reports page in a real browser (Debian's Chromium through
Playwright): open it, change the range and the filters, export a CSV. The
kit's ``pages`` fixture fails the test on any console or page error."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from app.services import messages, tickets


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def history(fake_channel, make_agent, clock):
    """A week of work by two agents on tagged tickets."""
    ada, bob = make_agent(role="support", name="Ada Lovelace"), make_agent(role="support", name="Bob Marley")
    clock.set(dt.datetime(2025, 12, 29, 9, 0))
    for day in range(7):
        for i, agent in enumerate((ada, bob) * (1 + day % 2)):
            ticket = fake_channel.receive("Where is my order?", email=f"c{day}-{i}@example.net").ticket
            tickets.assign(ticket, agent)
            tickets.change_tags(ticket, add=["shipping" if i % 2 else "billing"])
            clock.advance(minutes=4 + 9 * i + day)
            messages.reply(ticket, agent, "On its way")
            if (day + i) % 3:
                clock.advance(hours=2 + i)
                tickets.close(ticket, actor=agent)
        clock.set(dt.datetime(2025, 12, 30, 9, 0) + dt.timedelta(days=day))
    clock.set(dt.datetime(2026, 1, 5, 17, 0))
    return ada, bob


def test_open_reports_change_range_and_filters_export_csv(pages, make_agent, history, screenshot):
    ada, _ = history
    manager = make_agent(role="manager", name="Mia Manager")
    page = pages.login(manager, start="/inbox/mine")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.locator("#report-period")).to_contain_text("2025-12-07 to 2026-01-05")
    expect(page.locator('[data-kpi="created"] .value')).to_have_text("20")
    expect(page.get_by_role("img", name="Tickets per day (tickets)")).to_be_visible()
    expect(page.locator("#table-agents")).to_contain_text("Bob Marley")
    screenshot(page, "reports")

    page.get_by_role("link", name="Last 7 days").click()
    page.wait_for_url("**/reports?days=7")
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")
    expect(page.locator("#report-period")).to_contain_text("2025-12-30 to 2026-01-05")

    page.get_by_label("Agent", exact=True).select_option(label="Ada Lovelace")
    page.get_by_label("Tag", exact=True).select_option("billing")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/reports?days=7&start=&end=&channel=&agent={ada.id}&tag=billing")
    expect(page.locator("#report-period")).to_contain_text("2025-12-30 to 2026-01-05")  # the preset is kept
    expect(page.locator("#table-tags tbody tr")).to_have_count(1)
    expect(page.locator("#table-agents tbody tr")).to_have_count(1)
    expect(page.locator("#table-agents")).to_contain_text("Ada Lovelace")

    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-01-03")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#report-period")).to_contain_text("2026-01-01 to 2026-01-03 (3 days")

    with page.expect_download() as download:
        page.locator("#export-agents").click()
    path = download.value.path()
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert lines[0].startswith("agent,label,created,reopened,closed")
    assert len(lines) == 2 and "Ada Lovelace" in lines[1]
    assert download.value.suggested_filename == "reports-agents-2026-01-01-2026-01-03.csv"


def test_empty_period_shows_empty_states(pages, make_agent):
    page = pages.login(make_agent(role="support", name="Sue"), start="/reports?days=7")
    expect(page.locator("#chart-volume-empty")).to_have_text("No data in this period.")
    expect(page.locator("#table-tags")).to_have_count(0)
    expect(page.get_by_text("No tickets in this period.").first).to_be_visible()
