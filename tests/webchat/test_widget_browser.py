"""The widget in Debian's Chromium, embedded in a storefront served from
another origin: start a chat, see the agent's reply live, typing both ways,
a new ticket after close."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from app.events import get_bus, publish
from app.models import Message, Ticket
from app.services.messages import reply
from app.services.tickets import close
from app.testing.accessibility import EVERY_IMPACT
from app.testing.browser import LiveServer
from plugins.webchat.models import Conversation

from .conftest import SITE_KEY, wait_for


def Storefront(html, headers=()):
    """The demo storefront page, served from its own origin (a second port)."""

    def shop(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers])
        return [html.encode()]

    return LiveServer(shop)


@pytest.fixture
def storefront(live_server, webchat, test_timeout):
    with urllib.request.urlopen(f"{live_server.url}/webchat/demo", timeout=test_timeout(10)) as response:
        html = response.read().decode()
    assert f"{live_server.url}/webchat/widget.js" in html
    shop = Storefront(html)
    webchat.set_settings(
        "webchat", {"allowed_origins": [shop.url], "auto_replies": True, "greeting": "Welcome to Acme Tea!"}
    )
    yield shop
    shop.close()


@pytest.fixture
def page(pages):
    """A Chromium page (the kit's ``pages`` fails the test on any console or
    page error)."""
    return pages.new()


def test_visitor_chats_with_an_agent(page, storefront, make_agent, app, test_timeout):
    agent = make_agent(name="Grace Hopper")
    page.goto(storefront.url)
    tab = page.get_by_role("button", name="Chat with us")
    expect(tab).to_have_attribute("aria-expanded", "false")
    tab.focus()
    page.keyboard.press("Enter")  # keyboard opens the panel
    panel = page.get_by_role("dialog", name="Chat with us")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("status")).to_have_text("We are online")
    message_box = page.get_by_label("Message")
    expect(message_box).to_be_focused()

    page.get_by_label("Your name (optional)").fill("Ada Lovelace")
    page.get_by_label("Your email (optional)").fill("ada@example.net")
    message_box.fill("Do you have green tea?")
    message_box.press("Enter")
    log = page.get_by_role("log")
    expect(log.locator(".msg.visitor")).to_have_text("Do you have green tea?")
    expect(log.locator(".msg.bot")).to_contain_text("Welcome to Acme Tea!")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.channel == "webchat"))
    # A typed email is the visitor's unverified claim, not the profile's address.
    assert ticket.profile.name == "Ada Lovelace" and ticket.profile.email is None
    assert [(i.source, i.external_id, i.verified) for i in ticket.profile.identities if i.source == "email"] == [
        ("email", "ada@example.net", False)
    ]

    # Visitor typing reaches the agents' bus and the auto-close field.
    with get_bus().subscribe() as events:
        message_box.press_sequentially("Also bl", delay=20)
        event = events.get(timeout=test_timeout(5))
        while event is not None and event["type"] != "typing":
            event = events.get(timeout=test_timeout(5))
    assert event["data"] == {"ticket_id": ticket.id, "who": "customer"}
    assert Ticket.get_by_id(ticket.id).customer_typing_until is not None

    # Agent typing shows in the widget, then the reply arrives live.
    publish("typing", {"ticket_id": ticket.id, "who": "agent", "agent_id": agent.id})
    expect(panel.get_by_text("Support is typing...")).to_be_visible()
    reply(ticket, agent, "Yes, we have Sencha and Gyokuro.")
    expect(log.locator(".msg.agent")).to_contain_text("Yes, we have Sencha and Gyokuro.")
    expect(log.locator(".msg.agent .who")).to_have_text("Grace")
    expect(panel.get_by_text("Support is typing...")).to_have_count(0)
    # The widget confirms the reply it showed (what spares the visitor a
    # follow-up email for it), without waiting for the next heartbeat.
    shown = Message.get(Message.text == "Yes, we have Sencha and Gyokuro.").id
    wait_for(lambda: Conversation.get(Conversation.ticket == ticket.id).last_delivered_message_id >= shown)

    # Closing the ticket, then writing again: a new ticket, the widget follows.
    close(ticket)
    expect(log.get_by_role("note")).to_contain_text("This chat was closed")
    message_box.fill("One more question")
    message_box.press("Enter")
    second = wait_for(lambda: Ticket.get_or_none((Ticket.channel == "webchat") & (Ticket.id != ticket.id)))
    assert Ticket.get_by_id(ticket.id).status == "closed"
    wait_for(lambda: Message.select().where((Message.ticket == second.id) & (Message.direction == "inbound")).exists())
    reply(second, agent, "Sure, ask away.")
    expect(log.locator(".msg.agent").last).to_contain_text("Sure, ask away.")
    assert [m.text for m in Message.select().where(Message.ticket == second.id, Message.direction == "inbound")] == [
        "One more question"
    ]

    # Escape closes the panel and gives focus back to the tab.
    message_box.press("Escape")
    expect(panel).to_be_hidden()
    expect(tab).to_be_focused()


def test_a_refused_message_says_why_keeps_the_text_and_the_panel_passes_axe(pages, page, storefront, assert_accessible):
    page.goto(storefront.url)
    page.get_by_role("button", name="Chat with us").click()
    email = page.get_by_label("Your email (optional)")
    message_box = page.get_by_label("Message")
    email.fill("ada at example")
    message_box.fill("Is the Sencha in stock?")
    message_box.press("Enter")
    log = page.get_by_role("log")
    # The server's own words for the field, the box to correct marked and
    # focused, the typed message back in its box and not shown as sent.
    expect(log.get_by_role("note")).to_have_text("Your message could not be sent. Not a valid email address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(message_box).to_have_value("Is the Sencha in stock?")
    expect(log.locator(".msg")).to_have_count(0)
    assert Ticket.select().count() == 0
    assert pages.errors == [
        "console: Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    ]
    pages.errors.clear()

    email.fill("ada@example.net")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    message_box.press("Enter")
    expect(log.locator(".msg.visitor")).to_have_text("Is the Sencha in stock?")
    expect(log.locator(".msg.bot")).to_contain_text("Welcome to Acme Tea!")
    expect(message_box).to_have_value("")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.channel == "webchat"))
    assert [m.text for m in Message.select().where(Message.ticket == ticket.id, Message.direction == "inbound")] == [
        "Is the Sencha in stock?"
    ]
    # The open panel with messages and a notice, on the storefront's page:
    # no axe violation of any impact (a log is not a list; one banner).
    assert_accessible(page, EVERY_IMPACT)


def test_the_widget_works_on_a_storefront_whose_csp_refuses_inline_styles(
    pages, live_server, webchat, storefront, test_timeout
):
    """A shop with a Content-Security-Policy allowing Helpline's script and
    calls, as docs/channels/webchat.md says, but no inline style: the widget
    is styled (a tab fixed at the bottom right) and no CSP error is logged."""
    with urllib.request.urlopen(f"{live_server.url}/webchat/demo", timeout=test_timeout(10)) as response:
        html = response.read().decode()
    policy = (
        f"default-src 'self'; script-src 'self' {live_server.url}; connect-src 'self' {live_server.url}; "
        "style-src 'self'; img-src 'self'"
    )
    page_css = html[html.index("<style>") : html.index("</style>") + len("</style>")]
    shop = Storefront(html.replace(page_css, ""), [("Content-Security-Policy", policy)])
    try:
        webchat.set_settings("webchat", {"allowed_origins": [shop.url]})
        page = pages.new(viewport={"width": 390, "height": 844})
        page.goto(shop.url)
        tab = page.get_by_role("button", name="Chat with us")
        box = tab.bounding_box()
        assert box["x"] + box["width"] == 390 - 20 and box["y"] + box["height"] == 844 - 20
        tab.click()
        panel = page.get_by_role("dialog", name="Chat with us")
        expect(panel).to_be_visible()
        assert panel.bounding_box()["width"] == 340
        page.get_by_label("Message").fill("Does the CSP stop you?")
        page.get_by_label("Message").press("Enter")
        expect(page.locator(".msg.bot")).to_contain_text("Welcome to Acme Tea!")
        assert pages.errors == []  # a refused <style> or style attribute is a console error
    finally:
        shop.close()


def test_a_wrong_site_key_says_so_in_the_shops_console(pages, live_server, webchat):
    shop = Storefront(
        f'<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1></main>'
        f'<script src="{live_server.url}/webchat/widget.js" data-key="wc_typo_in_the_theme" async></script>'
        "</body></html>"
    )
    try:
        webchat.set_settings("webchat", {"allowed_origins": [shop.url]})
        page = pages.new()
        with page.expect_console_message(lambda m: m.type == "warning") as warning:
            page.goto(shop.url)
        assert warning.value.text == "Helpline chat unavailable: Unknown site key. (403)"
        expect(page.get_by_role("button", name="Chat with us")).to_have_count(0)
        assert pages.errors == [
            "console: Failed to load resource: the server responded with a status of 403 (FORBIDDEN)"
        ]
        pages.errors.clear()
    finally:
        shop.close()


def test_reload_resumes_the_conversation_and_a_foreign_token_is_refused(
    page, storefront, make_agent, live_server, test_timeout
):
    page.goto(storefront.url)
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Message").fill("Where is order 1001?")
    page.get_by_label("Message").press("Enter")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.channel == "webchat"))
    reply(ticket, make_agent(), "It left the warehouse today.")
    expect(page.locator(".msg.agent")).to_contain_text("It left the warehouse today.")

    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".msg.agent")).to_have_count(1)  # resumed from storage, no duplicates
    expect(page.locator(".msg.visitor")).to_have_count(1)

    mine = page.evaluate("Object.keys(localStorage).map(k => JSON.parse(localStorage.getItem(k)))[0]")
    # Another visitor's token (a second browser's conversation) cannot read it.
    other = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{live_server.url}/api/v1/webchat/conversations",
                data=json.dumps({"key": SITE_KEY}).encode(),
                headers={"Content-Type": "application/json"},
            ),
            timeout=test_timeout(10),
        ).read()
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(
                f"{live_server.url}/api/v1/webchat/conversations/{mine['cid']}/messages",
                headers={"X-Webchat-Token": other["token"]},
            ),
            timeout=test_timeout(10),
        )
    assert refused.value.code == 403


def test_on_a_phone_the_fields_do_not_zoom_the_page_and_close_is_easy_to_tap(pages, storefront):
    """iPhone Safari zooms the page into any field whose text is under 16 px
    when it is focused; touch targets want 44x44 px (WCAG 2.2's 2.5.8 asks
    at least 24x24)."""
    page = pages.new(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page.goto(storefront.url)
    page.get_by_role("button", name="Chat with us").tap()
    panel = page.get_by_role("dialog", name="Chat with us")
    expect(panel).to_be_visible()
    for label in ("Message", "Your name (optional)", "Your email (optional)"):
        size = page.get_by_label(label).evaluate("e => getComputedStyle(e).fontSize")
        assert float(size.removesuffix("px")) >= 16, (label, size)
    for label in ("Your name (optional)", "Your email (optional)"):
        # The whole placeholder is readable: its text fits inside the field.
        room, needed = page.get_by_label(label).evaluate(
            """e => {
                const style = getComputedStyle(e), canvas = document.createElement("canvas").getContext("2d");
                canvas.font = style.font;
                const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
                return [e.clientWidth - padding, canvas.measureText(e.placeholder).width];
            }"""
        )
        assert needed <= room, (label, needed, room)
    close = panel.get_by_role("button", name="Close chat")
    box = close.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    assert box["x"] + box["width"] <= 390  # still inside the screen
    close.tap()
    expect(panel).to_be_hidden()
