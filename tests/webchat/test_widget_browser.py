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
from app.testing.browser import LiveServer
from plugins.webchat.models import Conversation

from .conftest import SITE_KEY, wait_for


def Storefront(html):
    """The demo storefront page, served from its own origin (a second port)."""

    def shop(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
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
