"""The inbox in a real browser (Debian's Chromium through Playwright): what
an agent sees and does, with live updates arriving over the event stream."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.events import publish
from app.models import Agent, Message, SavedView, Ticket
from app.plugins import get_plugins
from app.services import tickets
from app.testing.factories import refresh


@pytest.fixture
def helpline_config():
    # The real CSRF policy: every form and script in the UI must carry a token.
    return {"WTF_CSRF_ENABLED": True}


def test_login_live_ticket_reply_note_and_status(
    pages, wait_live, make_agent, fake_channel, outside, screenshot, clock
):
    alice = make_agent(role="support", name="Alice Agent")  # logs in with the form
    bob = make_agent(role="manager", name="Bob Boss", password=None)

    login = pages.new()
    login.goto("/login")
    login.get_by_label("Email").fill(alice.email)
    login.get_by_label("Password").fill("wrong password")
    login.get_by_role("button", name="Log in").click()
    expect(login.get_by_role("alert")).to_have_text("Wrong email or password.")
    screenshot(login, "login")

    page = pages.login(alice, form=True)
    bob_page = pages.login(bob)
    page.get_by_role("link", name=re.compile("^Unassigned")).click()
    page.wait_for_url("**/inbox/unassigned")
    wait_live(page)
    expect(page.locator("#empty-list")).to_be_visible()

    # A customer writes while the page is open: the ticket appears, live.
    result = outside(
        fake_channel.receive,
        "Where is my order #1001?",
        name="Carla Customer",
        email="carla@example.net",
        subject="Order status",
    )
    ticket_id = result.ticket.id
    row = page.locator(f'tr[data-ticket-id="{ticket_id}"]')
    expect(row).to_contain_text("Order status")
    expect(row).to_contain_text("Carla Customer")
    expect(page.locator('[data-count="unassigned"]')).to_have_text("1")
    expect(page.locator("[data-unread]")).to_have_text("1")
    screenshot(page, "inbox")

    # j highlights the first row, Enter... (o) opens it.
    page.keyboard.press("j")
    expect(row).to_have_class(re.compile("active"))
    page.keyboard.press("o")
    page.wait_for_url(f"**/t/{ticket_id}?view=unassigned")
    wait_live(page)
    expect(page.locator(".msg-inbound")).to_contain_text("Where is my order #1001?")
    expect(page.locator("[data-unread]")).to_have_text("0")

    # The customer types (the web chat publishes this), then writes again.
    outside(publish, "typing", {"ticket_id": ticket_id, "who": "customer"})
    expect(page.locator("#typing-indicator")).to_have_text("Customer is typing…")
    clock.advance(minutes=1)
    outside(fake_channel.receive, "Any news?", email="carla@example.net")
    expect(page.locator(".msg-inbound")).to_have_count(2)
    expect(page.locator("#typing-indicator")).to_be_hidden()

    # Reply (r focuses the reply composer); delivery state shows on it.
    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.type("It ships today.")
    page.get_by_role("button", name="Send reply").click()
    outbound = page.locator(".msg-outbound")
    expect(outbound).to_contain_text("It ships today.")
    expect(outbound.locator("[data-delivery]")).to_have_text("Sent")
    assert [o.text for o in fake_channel.sent] == ["It ships today."]

    # An internal note with a mention notifies Bob, wherever he is.
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.get_by_role("tab", name=re.compile("Internal note"))).to_have_attribute("aria-selected", "true")
    page.keyboard.type("@Bob can you refund the shipping?")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg-note")).to_contain_text("@Bob can you refund the shipping?")
    expect(bob_page.locator(".toast").filter(has_text="mentioned you")).to_have_text(
        f"Alice Agent mentioned you on ticket #{ticket_id}"
    )
    assert len(fake_channel.sent) == 1  # notes are never delivered

    # Assign, tag, snooze, wake up, close, reopen.
    page.get_by_role("button", name="Assign to…").click()
    page.get_by_label("Find an agent").fill("bob")
    page.get_by_role("button", name=re.compile("^Bob Boss")).click()
    expect(page.locator("#assignee-name")).to_have_text("Bob Boss")
    page.get_by_label("Add tags").fill("vip, shipping")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#tag-list")).to_contain_text("shipping")
    expect(page.locator("#tag-list")).to_contain_text("vip")
    screenshot(page, "ticket")

    wait_live(page)  # scripts are attached: shortcuts work
    page.keyboard.press("s")
    expect(page.locator("#snooze-first")).to_be_focused()
    page.get_by_role("menuitem", name="4 hours").click()
    expect(page.locator("#ticket-status")).to_have_text("Snoozed")
    assert refresh(result.ticket).snoozed_until == clock.now().replace(microsecond=0) + dt.timedelta(hours=4)
    page.get_by_role("button", name="Wake up now").click()
    expect(page.locator("#ticket-status")).to_have_text("Open")
    wait_live(page)
    page.keyboard.press("c")
    expect(page.locator("#ticket-status")).to_have_text("Closed")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#ticket-status")).to_have_text("Open")
    ticket = Ticket.get_by_id(ticket_id)
    assert (ticket.status, ticket.assignee_id, ticket.reopen_count) == ("open", bob.id, 1)
    assert tickets.tags_of(ticket) == ["shipping", "vip"]

    # j / k walk the list this ticket was opened from.
    second = outside(fake_channel.receive, "Another question", email="dan@example.net").ticket
    page.goto(f"/t/{ticket_id}?view=all")
    wait_live(page)
    page.keyboard.press("k")
    page.wait_for_url(f"**/t/{second.id}?view=all")
    wait_live(page)
    page.keyboard.press("j")
    page.wait_for_url(f"**/t/{ticket_id}?view=all")

    # ? shows the shortcuts.
    wait_live(page)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Keyboard shortcuts")
    page.keyboard.press("Escape")


def test_the_composer_is_free_while_a_reply_is_on_its_way(pages, wait_live, make_agent, fake_channel):
    agent = make_agent(role="support", name="Dana", password=None)
    ticket = fake_channel.receive("Is it in stock?").ticket
    page = pages.login(agent, start=f"/t/{ticket.id}")
    wait_live(page)
    held = []  # the page's sends, answered when the test says so

    def hold_sends(route):
        held.append(route) if route.request.method == "POST" else route.continue_()

    sends = re.compile(rf"/t/{ticket.id}/messages(\?|$)")
    page.route(sends, hold_sends)

    composer = page.locator("#composer-text")
    composer.fill("Yes, two left.")
    page.get_by_role("button", name="Send reply").click()
    expect(composer).to_have_value("")  # emptied at once, not when the answer comes
    page.wait_for_function("() => document.getElementById('composer-submit').disabled")
    composer.press_sequentially("Want me to hold one?")
    assert len(held) == 1
    held.pop().continue_()
    expect(page.locator(".msg-outbound")).to_contain_text("Yes, two left.")
    expect(page.get_by_role("button", name="Send reply")).to_be_enabled()
    expect(composer).to_have_value("Want me to hold one?")  # the next message, untouched

    # A refused send gives the text back, ahead of anything typed since.
    page.get_by_role("button", name="Send reply").click()
    composer.press_sequentially("Also:")
    fake_channel.refuse_with("no_consent", "This customer has not agreed to SMS.")
    held.pop().continue_()
    expect(page.locator("#composer-refusal")).to_have_text("This customer has not agreed to SMS.")
    expect(composer).to_have_value("Want me to hold one?\nAlso:")
    assert [m.text for m in Message.select().where(Message.direction == "outbound")] == ["Yes, two left."]
    # The 409 is the answer the page expects; Chromium logs it all the same.
    assert pages.errors == ["console: Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    pages.errors.clear()


def test_snooze_until_a_picked_time_and_live_status(pages, wait_live, make_agent, fake_channel, outside, clock):
    agent = make_agent(role="support", name="Dana", password=None)
    ticket = fake_channel.receive("Call me next week").ticket
    page = pages.login(agent)
    page.goto(f"/t/{ticket.id}")
    wait_live(page)
    page.get_by_role("button", name="Snooze").click()
    page.get_by_role("menuitem", name="Pick a date and time…").click()
    page.get_by_label("Until").fill("2026-01-12T08:30")
    page.get_by_role("button", name="Snooze until then").click()
    expect(page.locator("#ticket-status")).to_have_text("Snoozed")
    assert refresh(ticket).snoozed_until == dt.datetime(2026, 1, 12, 8, 30)
    # The presence switch, once the page the snooze form led to is live (on a
    # busy machine the status chip can update before that page has loaded).
    wait_live(page)
    with page.expect_response(lambda r: r.url.endswith("/presence") and "away" in (r.request.post_data or "")):
        page.get_by_label("My status").select_option("away")
    assert Agent.get_by_id(agent.id).presence == "away"
    # Someone else closes it: this page follows without reload.
    wait_live(page)
    outside(lambda: tickets.close(Ticket.get_by_id(ticket.id)))
    expect(page.locator("#ticket-status")).to_have_text("Closed")


def test_bulk_close_and_saved_view(pages, wait_live, make_agent, fake_channel, screenshot):
    agent = make_agent(role="manager", name="Maya Manager", password=None)
    made = [fake_channel.receive(f"Problem {i}", email=f"p{i}@example.net").ticket for i in range(4)]
    for t in made[:2]:
        tickets.change_tags(t, add=["refund"])
    page = pages.login(agent)
    page.goto("/inbox/unassigned")
    wait_live(page)
    expect(page.locator("#bulk-form")).to_be_hidden()
    for t in made[:3]:
        page.get_by_label(f"Select ticket #{t.id}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    screenshot(page, "bulk")
    page.locator("#bulk-form").get_by_role("button", name="Close").click()
    expect(page.locator(".flash-success")).to_have_text("3 of 3 tickets updated.")
    expect(page.locator("#ticket-rows tr")).to_have_count(1)
    assert [refresh(t).status for t in made] == ["closed", "closed", "closed", "open"]
    page.get_by_role("link", name="Closed", exact=True).click()
    expect(page.locator("#ticket-rows tr")).to_have_count(3)

    # Filter by tag on All tickets (any status) and save it as a view.
    page.goto("/inbox/all")
    page.get_by_text("Filters and sort").click()
    page.get_by_label("Tag", exact=True).fill("refund")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#ticket-rows tr")).to_have_count(2)
    page.get_by_label("Save these filters as a view").fill("Refunds")
    page.get_by_label("Share with the team").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.locator(".flash-success")).to_have_text("View “Refunds” saved.")
    view = SavedView.get(SavedView.name == "Refunds")
    assert view.shared and view.filters == {"tag": "refund"}
    nav_link = page.locator(f'a[data-view-link="{view.id}"]')
    expect(nav_link).to_contain_text("Refunds")
    expect(nav_link.locator(".count")).to_have_text("2")
    page.goto("/inbox/mine")
    nav_link.click()
    expect(page.locator("h1")).to_have_text("Refunds")
    expect(page.locator("#ticket-rows tr")).to_have_count(2)


def test_unread_badge_setting_and_plugins_page(pages, make_agent, fake_channel, outside, screenshot):
    admin = make_agent(role="admin", name="Ada Admin", password=None)
    page = pages.login(admin)
    badge = page.locator("#unread-badge")
    expect(badge).to_be_visible()
    expect(badge.locator("[data-unread]")).to_have_text("0")
    outside(fake_channel.receive, "Hello?")
    expect(badge.locator("[data-unread]")).to_have_text("1")

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_label("Show the unread badge").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_have_text("Settings saved.")
    expect(badge).to_be_hidden()
    assert get_plugins().get_settings("core")["unread_badge"] is False
    page.get_by_label("Show the unread badge").check()
    page.get_by_role("button", name="Save settings").click()
    expect(badge).to_be_visible()

    # A bad value is refused with the field's error.
    page.get_by_label("Support email address").fill("not-an-address")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#field-support_email-error")).to_have_text("Not a valid email address.")
    screenshot(page, "settings")

    page.get_by_role("link", name="Plugins").first.click()
    row = page.locator('tr[data-plugin="fake-channel"]')
    expect(row.locator("[data-state]")).to_have_text("On")
    screenshot(page, "plugins")
    row.get_by_role("button", name="Turn off fake-channel").click()
    expect(row.locator("[data-state]")).to_have_text("Off")
    assert not get_plugins().is_enabled("fake-channel")
    row.get_by_role("button", name="Turn on fake-channel").click()
    expect(row.locator("[data-state]")).to_have_text("On")
    assert get_plugins().is_enabled("fake-channel")

    # The plugin's settings form comes from its marshmallow schema.
    row.get_by_role("link", name="Settings of fake-channel").click()
    page.get_by_label("Max length").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#field-max_length-error")).to_contain_text("greater than or equal to 1")
    page.get_by_label("Max length").fill("320")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_have_text("Settings saved.")
    assert get_plugins().get_settings("fake-channel")["max_length"] == 320
    assert Message.select().count() == 1

    # Agents and roles: add a support agent, then make them a manager.
    page.get_by_role("link", name="Agents and roles").first.click()
    page.get_by_label("Name", exact=True).fill("Nico New")
    page.get_by_label("Email", exact=True).fill("nico@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Add agent").click()
    expect(page.locator("#agent-password-error")).to_contain_text("8")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_role("button", name="Add agent").click()
    expect(page.locator(".flash-success")).to_have_text("Agent added.")
    page.get_by_label("Role of Nico New").select_option("manager")
    page.locator('tr[data-agent="nico@example.com"]').get_by_role("button", name="Change").click()
    expect(page.locator(".flash-success")).to_have_text("Nico New updated.")
    assert Agent.get(Agent.email == "nico@example.com").role == "manager"
