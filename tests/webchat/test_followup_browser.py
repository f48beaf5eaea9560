"""Issue 21 in a real Chromium: a web chat ticket after the follow-up
email shows why it went out, in the thread and in the Automatic actions
card, linked to the web chat settings. With UI_SCREENSHOTS=1 it writes
docs/img/rules-why-followup.png for docs/rules.md."""

import os

from app.models import Ticket
from app.services.messages import reply
from app.testing.accessibility import assert_accessible
from plugins.webchat import tasks

WHY = (
    "Web chat follow-up: the visitor left the chat without seeing 1 agent reply; their last message was at "
    "2026-01-05 09:00 UTC, more than 3 minutes before, so the reply was emailed to ada@example.net."
)


def screenshot(page, name, tmp_path):
    folder = (
        os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")
        if os.environ.get("UI_SCREENSHOTS") == "1"
        else str(tmp_path)
    )
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_the_ticket_page_says_why_the_follow_up_went_out(visitor, smtp, clock, pages, make_agent, tmp_path):
    v = visitor("Ada", "ada@example.net")
    v.say("Do you ship to Canada?")
    v.heartbeat()
    ticket = Ticket.get(Ticket.channel == "webchat")
    grace = make_agent(name="Grace Hopper", password=None)
    clock.advance(minutes=1)
    reply(ticket, grace, "Yes, in 5 days.")
    clock.advance(minutes=2, seconds=1)  # silent for 3 minutes: she left
    assert tasks.send_followups.call_local() == 1 and len(smtp.messages) == 1

    page = pages.login(grace, start=f"/t/{ticket.id}")
    notice = page.locator(".msg-notice", has_text="Follow-up email sent to ada@example.net")
    assert WHY in notice.locator(".why").inner_text()
    link = notice.get_by_role("link", name="Rule settings")
    assert link.get_attribute("href") == "/settings/plugins/webchat"
    card = page.locator("#automation")
    assert WHY in card.inner_text() and card.get_by_role("button").count() == 0  # nothing to undo
    assert_accessible(page)
    screenshot(page, "rules-why-followup", tmp_path)
