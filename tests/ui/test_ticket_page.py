"""The ticket page's sidebar in a real browser, on a desktop and a phone:
the customer and the panels high up, snooze as a keyboard-friendly menu,
assigning in one action, and toasts that never cover the content."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from app.events import publish
from app.hookspecs import hookimpl
from app.models import Ticket
from app.registry import Panel
from app.services import agents
from app.testing.factories import refresh

SIZES = [(1280, 800), (390, 844)]


@pytest.fixture
def helpline_config():
    # The real CSRF policy: every form the menus submit must carry a token.
    return {"WTF_CSRF_ENABLED": True}


class RecentOrders(Panel):
    slug, title = "recent-orders", "Recent orders"

    def render_data(self, profile):
        return {"Orders": 3}


class PanelPlugin:
    @hookimpl
    def helpline_register_panels(self):
        return [RecentOrders]


def top(page, selector):
    return page.locator(selector).first.bounding_box()["y"]


def overlaps(a, b):
    """Whether two bounding boxes share any area."""
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width,height", SIZES)
def test_customer_and_panels_come_first_in_the_sidebar(
    pages, make_agent, fake_channel, register_plugin, assert_accessible, screenshot, width, height
):
    register_plugin(PanelPlugin(), "panels-test")
    agent = make_agent(role="support", name="Sam Support", password=None)
    ticket = fake_channel.receive("Where is my parcel?", name="Pat Buyer", email="pat@example.net").ticket
    page = pages.login(agent, start=f"/t/{ticket.id}")
    page.set_viewport_size({"width": width, "height": height})

    sidebar = page.locator("#sidebar")
    customer = sidebar.locator("section", has=page.locator("#customer-heading"))
    expect(customer).to_contain_text("Pat Buyer")
    expect(sidebar.locator(".panel-recent-orders")).to_contain_text("3")
    # Actions (compact), then the customer and the panels, then the details.
    assert top(page, "#actions-heading") <= top(page, "#customer-heading")
    assert top(page, "#customer-heading") < top(page, ".panel-recent-orders") < top(page, "#overview-heading")
    if width >= 1024:
        # Side by side with the thread: the customer and the panel show without scrolling.
        assert top(page, ".panel-recent-orders") + 40 < height
    assert_accessible(page)
    screenshot(page, "ticket-sidebar" if width >= 1024 else "phone-ticket-sidebar")


@pytest.mark.parametrize("width,height", SIZES)
def test_snooze_menu_with_the_keyboard(
    pages, wait_live, make_agent, fake_channel, assert_accessible, screenshot, clock, width, height
):
    agent = make_agent(role="support", name="Sam Support", password=None)
    ticket = fake_channel.receive("Call me tomorrow").ticket
    page = pages.login(agent, start=f"/t/{ticket.id}")
    page.set_viewport_size({"width": width, "height": height})

    button = page.get_by_role("button", name=re.compile("^Snooze"))
    menu = page.get_by_role("menu")
    expect(button).to_have_attribute("aria-haspopup", "menu")
    expect(menu).to_be_hidden()
    # Enter opens it on its first choice; arrows move; Escape closes it and
    # gives the focus back to the button.
    button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menuitem", name="1 hour")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "snooze-menu" if width >= 1024 else "phone-snooze-menu")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="4 hours")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("menuitem", name="Pick a date and time…")).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps around
    expect(page.get_by_role("menuitem", name="1 hour")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    # ArrowUp opens it on the last choice; a click elsewhere closes it.
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("menuitem", name="Pick a date and time…")).to_be_focused()
    page.locator("#ticket-title").click()
    expect(menu).to_be_hidden()

    # Choosing a preset with the keyboard snoozes the ticket.
    button.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="1 day")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-status")).to_have_text("Snoozed")
    assert refresh(ticket).snoozed_until == clock.now().replace(microsecond=0) + dt.timedelta(days=1)

    # "Pick a date and time…" shows the date field, focused (once the page
    # the snooze form led to runs its scripts).
    wait_live(page)
    button.click()
    page.get_by_role("menuitem", name="Pick a date and time…").click()
    expect(page.get_by_label("Until")).to_be_focused()
    page.get_by_label("Until").fill("2026-02-03T09:15")
    page.get_by_role("button", name="Snooze until then").click()
    expect(page.locator("#snoozed-until")).to_contain_text("2026-02-03 09:15")
    assert refresh(ticket).snoozed_until == dt.datetime(2026, 2, 3, 9, 15)


@pytest.mark.parametrize("width,height", SIZES)
def test_assign_to_me_and_search_another_agent(
    pages, wait_live, make_agent, fake_channel, assert_accessible, screenshot, width, height
):
    me = make_agent(role="support", name="Sam Support", password=None)
    bob = make_agent(role="manager", name="Bob Boss", password=None)
    bea = make_agent(role="support", name="Bea Away", password=None)
    make_agent(role="support", name="Olga Offline", password=None)
    make_agent(role="analyst", name="Ann Analyst", password=None)  # may not hold tickets
    agents.set_presence(bob, "online")
    agents.set_presence(bea, "away")
    ticket = fake_channel.receive("Refund please").ticket
    page = pages.login(me, start=f"/t/{ticket.id}")
    page.set_viewport_size({"width": width, "height": height})

    # One click.
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#assignee-name")).to_have_text("Sam Support")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    assert refresh(ticket).assignee_id == me.id

    # The picker lists who may hold tickets, with their presence (once the
    # page the form led to runs its scripts).
    wait_live(page)
    picker_button = page.get_by_role("button", name="Assign to…")
    picker_button.click()
    expect(picker_button).to_have_attribute("aria-expanded", "true")
    search = page.get_by_label("Find an agent")
    expect(search).to_be_focused()
    options = page.locator("#assign-options li:not([hidden]) .picker-option")
    names = [re.sub(r"\s+", " ", t).strip() for t in options.all_inner_texts()]
    assert names == [
        "Bea Away away",
        "Bob Boss online",
        "Olga Offline offline",
        "Sam Support (me) online",
        "Nobody (unassign)",
    ]
    assert_accessible(page)
    screenshot(page, "assign-picker" if width >= 1024 else "phone-assign-picker")

    # Typing filters; nothing matching says so; Enter takes the first match.
    search.fill("zz")
    expect(options).to_have_count(0)
    expect(page.locator("#assign-none")).to_be_visible()
    search.fill("bo")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Bob Boss")
    search.press("Enter")
    expect(page.locator("#assignee-name")).to_have_text("Bob Boss")
    assert refresh(ticket).assignee_id == bob.id

    # Arrows move from the search box through the list; Escape closes it.
    wait_live(page)
    page.get_by_role("button", name="Assign to…").click()
    page.get_by_label("Find an agent").fill("b")
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#assign-picker")).to_be_hidden()
    expect(page.get_by_role("button", name="Assign to…")).to_be_focused()

    # The a shortcut opens the picker; unassigning is a choice in it.
    page.keyboard.press("a")
    expect(page.get_by_label("Find an agent")).to_be_focused()
    page.get_by_role("button", name="Nobody (unassign)").click()
    expect(page.locator("#assignee-name")).to_have_text("Unassigned")
    assert Ticket.get_by_id(ticket.id).assignee_id is None


@pytest.mark.parametrize("width,height", SIZES)
def test_toasts_never_cover_the_list_or_the_reply_box(
    pages, wait_live, make_agent, fake_channel, outside, screenshot, width, height
):
    agent = make_agent(role="support", name="Sam Support", password=None)
    made = [fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket for i in range(12)]
    page = pages.login(agent, start="/inbox/unassigned")
    page.set_viewport_size({"width": width, "height": height})

    def assert_clear(toast, *targets):
        """The toast shares no pixel with any target, wherever the page is scrolled."""
        for scroll in ("0", "document.documentElement.scrollHeight"):
            page.evaluate(f"() => window.scrollTo(0, {scroll})")
            box = toast.bounding_box()
            for target in targets:
                for i in range(target.count()):
                    other = target.nth(i).bounding_box()
                    assert other is None or not overlaps(box, other), (scroll, target, i)

    # A new ticket arrives while the list is open.
    new = outside(fake_channel.receive, "Brand new question", email="new@example.net").ticket
    toast = page.locator(".toast").filter(has_text=f"New ticket #{new.id}")
    expect(toast).to_be_visible()
    expect(page.locator("#ticket-rows tr")).to_have_count(13)
    screenshot(page, "toast" if width >= 1024 else "phone-toast")
    assert_clear(toast, page.locator("#ticket-rows tr"), page.locator(".list-head"))
    # It is dismissible, and a link to the ticket.
    expect(toast.get_by_role("link")).to_have_attribute("href", f"/t/{new.id}")
    toast.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(toast).to_have_count(0)

    # On a ticket, a mention's toast stays clear of the thread and the reply box.
    page.goto(f"/t/{made[0].id}")
    wait_live(page)
    outside(publish, "mention", {"agent_id": agent.id, "by": "Bob", "ticket_id": made[1].id})
    toast = page.locator(".toast").filter(has_text="Bob mentioned you")
    expect(toast).to_be_visible()
    assert_clear(toast, page.locator("#composer"), page.locator(".thread-wrap"), page.locator("#sidebar"))
