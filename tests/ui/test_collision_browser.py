"""Two agents on one ticket in two browser contexts: each sees who else is
viewing or typing a reply (never themself), the line clears when the other
leaves or their tab stops answering, and a reply sent while the other was
writing is announced above their draft, held once (409), then sent anyway.
The bell follows in another tab when notifications are read."""

import re

import pytest
from playwright.sync_api import expect

from app.models import Message
from app.services import collision
from app.services.tickets import assign


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def outbound_texts(ticket):
    rows = Message.select().where(
        (Message.ticket == ticket.id) & (Message.direction == "outbound") & (Message.kind == "message")
    )
    return [m.text for m in rows.order_by(Message.id)]


def test_two_agents_see_each_other_and_the_reply_written_meanwhile(
    pages, make_agent, fake_channel, assert_accessible, screenshot
):
    ana = make_agent(role="support", name="Ana Agent", password=None)
    bo = make_agent(role="manager", name="Bo Boss", password=None)
    ticket = fake_channel.receive("Where is my order?", name="Pat Buyer", email="pat@example.net").ticket

    a = pages.login(ana, start=f"/t/{ticket.id}")
    a_line = a.locator("#ticket-presence")
    expect(a_line).to_have_attribute("aria-live", "polite")
    expect(a_line).to_have_text("")  # alone: nothing, and never oneself

    b = pages.login(bo, start=f"/t/{ticket.id}")
    b_line = b.locator("#ticket-presence")
    expect(a_line).to_have_text("Bo Boss is viewing")
    expect(b_line).to_have_text("Ana Agent is viewing")  # a newcomer learns at once who is here

    b.locator("#composer-text").press_sequentially("On it")
    expect(a_line).to_have_text("Bo Boss is typing a reply…")

    # Ana starts a draft; Bo sends his reply first.
    a.locator("#composer-text").fill("Let me check the warehouse.")
    expect(b_line).to_have_text("Ana Agent is typing a reply…")
    b.locator("#composer-text").fill("It shipped yesterday.")
    b.get_by_role("button", name="Send reply").click()
    expect(b.locator("#thread")).to_contain_text("It shipped yesterday.")

    warning = a.locator("#newer-reply")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Bo Boss replied while you were writing.")
    expect(a.locator("#composer-text")).to_have_value("Let me check the warehouse.")
    assert_accessible(a)
    screenshot(a, "ticket-collision")

    # Sending now is held once (the server's guard), keeping the draft...
    a.get_by_role("button", name="Send reply").click()
    expect(a.get_by_role("button", name="Send anyway")).to_be_visible()
    expect(warning).to_contain_text("Bo Boss replied while you were writing.")
    expect(a.locator("#composer-text")).to_have_value("Let me check the warehouse.")
    assert outbound_texts(ticket) == ["It shipped yesterday."]
    # The 409 is the answer the page expects; Chromium logs it all the same.
    assert pages.errors == ["console: Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    pages.errors.clear()
    # ...the warning's link shows the other reply...
    warning.get_by_role("link", name="Show their reply").click()
    their_id = Message.get(Message.text == "It shipped yesterday.").id
    expect(a.locator(f"#message-{their_id}")).to_be_focused()
    # ...and "Send anyway" delivers.
    a.get_by_role("button", name="Send anyway").click()
    expect(a.locator("#thread")).to_contain_text("Let me check the warehouse.")
    expect(warning).to_be_hidden()
    expect(a.get_by_role("button", name="Send reply")).to_be_visible()
    assert outbound_texts(ticket) == ["It shipped yesterday.", "Let me check the warehouse."]

    # Bo leaves the page: Ana's line clears at once.
    b.goto("/inbox/mine")
    expect(a_line).to_have_text("")


def test_presence_lapses_when_a_tab_stops_answering(pages, make_agent, fake_channel, outside, wait_live):
    ana = make_agent(role="support", name="Ana Agent", password=None)
    cy = make_agent(role="support", name="Cy", password=None)
    dee = make_agent(role="admin", name="Dee", password=None)
    ticket = fake_channel.receive("Hello", email="pat@example.net").ticket

    a = pages.login(ana, start=f"/t/{ticket.id}")
    # The page's clock, so expiry needs no waiting.
    a.clock.install()
    a.reload()
    wait_live(a)
    line = a.locator("#ticket-presence")

    outside(collision.announce, ticket, cy, "viewing")
    outside(collision.announce, ticket, dee, "viewing")
    expect(line).to_have_text("Cy and Dee are viewing")
    outside(collision.announce, ticket, dee, "typing")
    expect(line).to_have_text("Dee is typing a reply… Cy is viewing")

    # Nothing more from either tab (crashed, offline): typing lapses first...
    a.clock.fast_forward(collision.TYPING_TTL * 1000 + 1000)
    expect(line).to_have_text("Cy and Dee are viewing")
    # ...then viewing.
    a.clock.fast_forward(collision.VIEWING_TTL * 1000)
    expect(line).to_have_text("")


def test_reading_notifications_updates_the_bell_in_other_tabs(pages, make_agent, fake_channel, outside):
    ana = make_agent(role="support", name="Ana Agent", password=None)
    bo = make_agent(role="manager", name="Bo Boss", password=None)
    ticket = fake_channel.receive("Where is my parcel?", email="pat@example.net").ticket
    outside(assign, ticket, ana, actor=bo)

    first = pages.login(ana)
    second = pages.login(ana, start="/notifications")
    for tab in (first, second):
        expect(tab.get_by_role("link", name="Notifications: 1 unread")).to_be_visible()

    second.get_by_role("button", name=re.compile("Mark all")).click()
    expect(first.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    expect(first.locator("#notification-bell [data-notification-count]")).to_be_hidden()
