"""Issue 21 in a real Chromium: the previews on the settings pages (the
scripted history of test_autoclose_preview), the reason on an automatic
close and its undo from the ticket page. With UI_SCREENSHOTS=1 the
screenshots of docs/rules.md are written."""

import datetime as dt

import pytest

from app.services import agents as agent_service
from app.services import messages
from app.testing.factories import refresh
from plugins.autoclose.sweep import sweep

from .test_autoclose_preview import history  # noqa: F401  (the scripted history fixture)


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_auto_close_preview_on_the_settings_page(history, pages, make_agent, rules_screenshot):  # noqa: F811
    page = pages.login(make_agent(role="admin", password=None), start="/settings/plugins/autoclose")
    summary = page.locator("#preview-summary")
    assert summary.inner_text() == (
        "With 2 days, 4 open or snoozed tickets would close now, and about 0.1 per day over the last 30 days (3 in all)."
    )
    assert page.locator("#preview-sample li").count() == 4
    page.get_by_label("Preview with a period of").fill("1")
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview-summary", has_text="With 1 days").wait_for()
    assert "5 open or snoozed tickets would close now, and about 0.1 per day" in summary.inner_text()
    rules_screenshot(page, "rules-autoclose-preview")
    page.locator("#preview-sample a").first.click()
    page.wait_for_url(f"**/t/{history['D'].id}**")


def test_round_robin_preview_on_the_settings_page(pages, make_agent, fake_channel, clock, rules_screenshot):
    for n in range(7):
        fake_channel.receive(f"Waiting {n}", email=f"wait{n}@example.net")
    for name in ("Ann", "Bob"):
        agent_service.set_presence(make_agent(name=name, password=None), "online")
    page = pages.login(make_agent(role="admin", name="Olga", password=None), start="/settings/plugins/roundrobin")
    assert page.locator("#preview-summary").inner_text() == (
        "2 agents online in the rotation now; 7 tickets wait in Unassigned."
    )
    rows = page.locator("#preview-spread tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(2)] == [["Ann", "0", "4"], ["Bob", "0", "3"]]
    rules_screenshot(page, "rules-roundrobin-preview")


def test_why_and_undo_on_the_ticket_page(plugins, pages, make_agent, fake_channel, clock, rules_screenshot):
    plugins.set_enabled("autoclose", True)
    ann = make_agent(name="Ann", password=None)
    ticket = fake_channel.receive("Where is my parcel?", email="zoe@example.net", subject="Parcel").ticket
    clock.set(dt.datetime(2026, 1, 5, 10, 0))
    messages.reply(ticket, ann, "It is on its way.")
    clock.set(dt.datetime(2026, 1, 7, 10, 0))
    assert sweep() == [ticket.id]
    page = pages.login(make_agent(name="Sam", password=None), start=f"/t/{ticket.id}")
    why = "Auto-close: no customer reply for 2 days after the reply by Ann delivered at 2026-01-05 10:00 UTC."
    notice = page.locator(".msg-notice .why")
    assert why in notice.inner_text()
    assert notice.get_by_role("link", name="Rule settings").get_attribute("href") == "/rules/autoclose/settings"
    card = page.locator("#automation")
    assert why in card.inner_text()
    rules_screenshot(page, "rules-why-and-undo")
    card.get_by_role("button", name="Undo close").click()
    page.locator("#automation", has_text="(undone)").wait_for()
    assert refresh(ticket).status == "open"
    assert card.get_by_role("button", name="Undo close").count() == 0
