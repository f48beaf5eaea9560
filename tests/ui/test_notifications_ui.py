"""Notifications in a real browser: the bell counts live, the list shows
what happened, opening the ticket reads it; mentions; the choices page with
the desktop permission asked on a click; console errors and axe fail."""

import re

import pytest
from playwright.sync_api import expect

from app.services import notifications
from app.services.messages import add_note
from app.services.tickets import assign


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_assignment_and_mention_reach_the_bell_live(
    pages, wait_live, make_agent, fake_channel, outside, assert_accessible, screenshot
):
    alice = make_agent(role="support", name="Alice Agent", password=None)
    bob = make_agent(role="manager", name="Bob Boss", password=None)
    ticket = fake_channel.receive("Where is my parcel?", name="Pat Buyer", email="pat@example.net").ticket

    page = pages.login(alice)
    bell = page.locator("#notification-bell")
    expect(page.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    expect(bell.locator("[data-notification-count]")).to_be_hidden()

    # Bob assigns the ticket to Alice from his own page: her bell shows it live.
    bob_page = pages.login(bob, start=f"/t/{ticket.id}")
    bob_page.get_by_role("button", name="Assign to…").click()
    bob_page.get_by_label("Find an agent").fill("alice")
    bob_page.get_by_role("button", name=re.compile("^Alice Agent")).click()
    expect(page.get_by_role("link", name="Notifications: 1 unread")).to_be_visible()
    expect(bell.locator("[data-notification-count]")).to_have_text("1")

    # The list says who did what; a mention arrives while it is open.
    bell.click()
    page.wait_for_url("**/notifications")
    wait_live(page)
    items = page.locator("[data-notification]")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(f"Bob Boss assigned ticket #{ticket.id} to you")
    expect(items.first).to_have_class("notification unread")
    outside(add_note, ticket, bob, "@Alice the customer wants a refund")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(f"Bob Boss mentioned you on ticket #{ticket.id}")
    expect(page.get_by_role("link", name="Notifications: 2 unread")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "notifications")

    # Opening the ticket reads both.
    items.first.get_by_role("link").click()
    page.wait_for_url(f"**/t/{ticket.id}")
    expect(page.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    page.goto("/notifications")
    expect(page.locator("[data-notification].unread")).to_have_count(0)
    assert notifications.unread_count(alice) == 0


def test_mark_all_read_and_empty_state(pages, wait_live, make_agent, fake_channel, outside, assert_accessible):
    alice = make_agent(role="support", name="Alice Agent", password=None)
    bob = make_agent(role="manager", name="Bob Boss", password=None)
    page = pages.login(alice, start="/notifications")
    expect(page.locator("#no-notifications")).to_be_visible()
    assert_accessible(page)
    wait_live(page)
    for i in range(2):
        ticket = outside(fake_channel.receive, f"Q{i}", email=f"c{i}@example.net").ticket
        outside(assign, ticket, alice, actor=bob)
    expect(page.locator("#notification-summary")).to_have_text("2 unread")  # live, no reload
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("[data-notification].unread")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()


def test_choices_page_asks_the_browser_on_a_click(pages, make_agent, live_server, assert_accessible):
    alice = make_agent(role="support", name="Alice Agent", password=None)
    page = pages.login(alice, start="/account/sessions")
    page.get_by_role("link", name="Notification choices").click()
    page.wait_for_url("**/account/notifications")
    assert_accessible(page)
    expect(page.get_by_label("A ticket is assigned to me")).to_be_checked()
    expect(page.get_by_label("A new ticket arrives")).not_to_be_checked()

    page.context.grant_permissions(["notifications"], origin=str(live_server))
    page.get_by_label("Show a desktop notification").check()
    expect(page.locator("#desktop-status")).to_have_text("Your browser shows Helpline notifications.")
    page.get_by_label("Play a sound").check()
    page.get_by_label("A new ticket arrives").check()
    page.get_by_label("A ticket is assigned to me").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Notification choices saved.")
    assert notifications.preferences(alice) == {
        "sound": True,
        "desktop": True,
        "kinds": ["mention", "reply", "new_ticket"],
    }
    bell = page.locator("#notification-bell")
    expect(bell).to_have_attribute("data-sound", "1")
    expect(bell).to_have_attribute("data-desktop", "1")


def test_opted_in_agent_gets_sound_and_desktop_notification(
    pages, wait_live, make_agent, fake_channel, outside, live_server
):
    alice = make_agent(role="support", name="Alice Agent", password=None)
    notifications.save_preferences(alice, True, True, ["new_ticket"])
    page = pages.login(alice)
    page.context.grant_permissions(["notifications"], origin=str(live_server))
    # Record what the page asks of the browser instead of making noise.
    page.context.add_init_script(
        """
        window.__shown = []; window.__played = [];
        window.Notification = class { constructor(title) { window.__shown.push(title); }
            addEventListener() {} close() {} static get permission() { return "granted"; } };
        HTMLMediaElement.prototype.play = function () { window.__played.push(this.src); return Promise.resolve(); };
        """
    )
    page.reload()
    wait_live(page)

    ticket = outside(fake_channel.receive, "Hello there", email="new@example.net").ticket
    expect(page.get_by_role("link", name="Notifications: 1 unread")).to_be_visible()
    page.wait_for_function("() => window.__shown.length === 1 && window.__played.length === 1")
    assert page.evaluate("() => window.__shown") == [f"New ticket #{ticket.id}"]
    assert page.evaluate("() => window.__played")[0].endswith("/static/web/notification.wav")
