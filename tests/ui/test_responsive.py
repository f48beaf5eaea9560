"""Every main page fits the window without horizontal scrolling on a
desktop, a small laptop and a phone; on a phone the ticket list shows as
cards and the ticket's sidebar folds under the thread."""

import pytest
from playwright.sync_api import expect

from app.services import tickets
from plugins.macros import service as macros

SIZES = [(1280, 800), (1024, 768), (390, 844)]


def overflow(page):
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width,height", SIZES)
def test_pages_fit_the_window(main_pages, pages, make_agent, fake_channel, width, height):
    admin = make_agent(role="admin", name="Ada Admin", password=None)
    ticket = fake_channel.receive(
        "Where is my parcel? It was due last week and the tracking page says nothing at all.",
        name="Pat Buyer with a rather long name",
        email="pat.buyer.with.a.long.address@example.net",
    ).ticket
    tickets.change_tags(ticket, add=["vip", "refund", "shipping"])
    macros.create(admin, "Thanks", "Thank you!", [], True)

    login = pages.new(viewport={"width": width, "height": height})
    login.goto("/login")
    assert overflow(login) <= 0, "/login"
    page = pages.login(admin, start="/inbox/unassigned")
    page.set_viewport_size({"width": width, "height": height})
    too_wide = {}
    for url in main_pages + (f"/t/{ticket.id}",):
        page.goto(url)
        if overflow(page) > 0:
            too_wide[url] = overflow(page)
    assert too_wide == {}


def test_phone_layout_cards_folded_sidebar_and_wrapped_top_bar(
    pages, make_agent, fake_channel, screenshot, assert_accessible
):
    agent = make_agent(role="support", name="Sam Support", password=None)
    ticket = fake_channel.receive("Where is my parcel?", name="Pat Buyer", email="pat@example.net").ticket
    fake_channel.receive("Can I change my address?", name="Kim Buyer", email="kim@example.net")
    page = pages.login(agent, start="/inbox/unassigned")
    page.set_viewport_size({"width": 390, "height": 844})

    # The top bar wraps on its own dark band: every item stays inside it.
    bar = page.locator("header.topbar").bounding_box()
    for item in (page.get_by_role("button", name="Log out"), page.get_by_label("My status")):
        box = item.bounding_box()
        assert box["y"] >= bar["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"]
        assert box["x"] + box["width"] <= 390

    # Each ticket is a card: its customer and channel are labelled in words
    # instead of sitting under column headers, which are not shown.
    row = page.locator(f'tr[data-ticket-id="{ticket.id}"]')
    expect(page.get_by_role("columnheader", name="Customer")).to_be_hidden()
    label = row.locator(".cell-customer").evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Customer: "'
    assert row.evaluate("tr => getComputedStyle(tr).display") == "grid"
    assert_accessible(page)
    screenshot(page, "phone-inbox")

    # The ticket's sidebar sits under the thread and the composer.
    page.goto(f"/t/{ticket.id}")
    thread = page.locator(".thread-wrap").bounding_box()
    sidebar = page.locator("#sidebar").bounding_box()
    assert sidebar["y"] >= thread["y"] + thread["height"]
    assert sidebar["x"] + sidebar["width"] <= 390
    assert_accessible(page)
    screenshot(page, "phone-ticket")
