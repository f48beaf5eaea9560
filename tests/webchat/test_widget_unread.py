"""The widget in Chromium on a storefront of several pages (another origin):
a reply that arrives while the chat is minimised raises an unread badge and
is not confirmed as seen until the visitor opens the chat; the conversation,
the panel's state and the unread count survive a change of page; a signed-in
customer's chat is theirs, and nobody else's on the same browser."""

import datetime as dt
import html
import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from app.auth import create_token
from app.models import Message, Ticket
from app.testing.accessibility import assert_accessible
from app.testing.browser import LiveServer
from plugins.webchat.identity import signature
from plugins.webchat.models import Conversation

from .conftest import wait_for

SECRET = "storefront-secret_0123456789abcdefghijklmnop"
# "Chat with us, 1 unread" (Chromium spaces the visually hidden words).
ONE_UNREAD = re.compile(r"^Chat with us\s*,\s*1 unread$")


class Shop:
    """A storefront of several pages embedding the widget; ``signed_in``
    maps a path to the customer (id, email) the shop signs on that page."""

    def __init__(self, snippet):
        self.snippet = snippet
        self.signed_in = {}
        self.server = LiveServer(self.app)
        self.url = self.server.url

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        tag = self.snippet
        customer = self.signed_in.get(path)
        if customer is not None:
            customer_id, email = customer
            timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
            attributes = {
                "data-customer-id": customer_id,
                "data-customer-email": email,
                "data-timestamp": timestamp,
                "data-signature": signature(SECRET, customer_id, email, timestamp),
            }
            extra = " ".join(f'{k}="{html.escape(v)}"' for k, v in attributes.items() if v)
            tag = tag.replace(" async>", f" {extra} async>")
        body = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Tea: {path}</title></head>'
            f"<body><header><h1>Acme Tea</h1><nav><a href='/'>Home</a> <a href='/tea/sencha'>Sencha</a></nav></header>"
            f"<main><h2>Page {html.escape(path)}</h2></main>{tag}</body></html>"
        )
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    def close(self):
        self.server.close()


@pytest.fixture
def shop(live_server, webchat, test_timeout):
    with urllib.request.urlopen(f"{live_server.url}/webchat/demo", timeout=test_timeout(10)) as response:
        demo = response.read().decode()
    start = demo.index('<script src="')
    shop = Shop(demo[start : demo.index("</script>", start) + len("</script>")])
    webchat.set_settings("webchat", {"allowed_origins": [shop.url], "identity_secret": SECRET})
    yield shop
    shop.close()


@pytest.fixture
def page(pages):
    """A Chromium page whose timers the test controls (``page.clock``), so
    "the widget did not confirm" is checked without waiting."""
    page = pages.new()
    page.clock.install()
    return page


def api_reply(live_server, agent, ticket, text, test_timeout):
    """An agent's reply through the REST API, as the inbox sends it."""
    _, token = create_token(agent, "test")
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/tickets/{ticket.id}/messages",
        data=json.dumps({"kind": "reply", "text": text}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=test_timeout(10)) as response:
        assert response.status == 201
    return Message.get(Message.text == text)


def heartbeats(page):
    """The ``last_seen_id`` of every confirmation the widget sends."""
    sent = []

    def record(request):
        if request.url.endswith("/heartbeat"):
            sent.append(json.loads(request.post_data)["last_seen_id"])

    page.on("request", record)
    return sent


def test_a_reply_while_minimised_shows_a_badge_and_survives_a_page_change(
    page, shop, live_server, make_agent, test_timeout
):
    agent = make_agent(name="Grace Hopper")
    confirmed = heartbeats(page)
    page.goto(shop.url + "/")
    tab = page.get_by_role("button", name="Chat with us")
    tab.click()
    panel = page.get_by_role("dialog", name="Chat with us")
    page.get_by_label("Message").fill("Do you ship to Canada?")
    page.get_by_label("Message").press("Enter")
    expect(panel.locator(".msg.visitor")).to_have_attribute("data-id", re.compile(r"^[0-9]+$"))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.channel == "webchat"))
    conversation = Conversation.get(Conversation.ticket == ticket.id)

    # Minimised: the reply arrives anyway and the launcher says so.
    panel.get_by_role("button", name="Close chat").click()
    expect(panel).to_be_hidden()
    answer = api_reply(live_server, agent, ticket, "Yes, in 5 to 7 days.", test_timeout)
    unread = page.get_by_role("button", name=ONE_UNREAD)
    expect(unread).to_be_visible()
    expect(unread.locator(".badge")).to_have_text("1")
    expect(page.get_by_role("status").filter(has_text="New reply in the chat")).to_have_count(1)
    assert_accessible(page)
    # Not seen: every timer the widget set runs (its quick confirmation and
    # its 25-second heartbeat), and none of them confirms the reply.
    with page.expect_response(lambda r: r.url.endswith("/heartbeat")):
        page.clock.run_for(26_000)
    assert confirmed and max(confirmed) < answer.id
    assert Conversation.get_by_id(conversation.id).last_delivered_message_id < answer.id

    # Opening the chat shows the reply, clears the badge and confirms it.
    unread.click()
    expect(panel.locator(".msg.agent")).to_contain_text("Yes, in 5 to 7 days.")
    expect(tab.locator(".badge")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with us", exact=True)).to_be_visible()
    page.clock.run_for(1_000)
    wait_for(lambda: Conversation.get_by_id(conversation.id).last_delivered_message_id >= answer.id)

    # Another page of the shop: the open chat and its history come back.
    page.get_by_role("link", name="Sencha").click()
    expect(page.get_by_role("heading", name="Page /tea/sencha")).to_be_visible()
    panel = page.get_by_role("dialog", name="Chat with us")
    expect(panel).to_be_visible()
    expect(panel.locator(".msg.visitor")).to_have_text(["Do you ship to Canada?"])
    expect(panel.locator(".msg.agent")).to_have_count(1)
    expect(page.get_by_role("button", name="Chat with us", exact=True)).to_be_visible()

    # Minimised on this page, a reply, then back home: still one unread, still minimised.
    panel.get_by_role("button", name="Close chat").click()
    second = api_reply(live_server, agent, ticket, "Tracking number to follow.", test_timeout)
    expect(page.get_by_role("button", name=ONE_UNREAD)).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Page /")).to_be_visible()
    unread = page.get_by_role("button", name=ONE_UNREAD)
    expect(unread).to_be_visible()
    expect(unread).to_have_attribute("aria-expanded", "false")
    assert Conversation.get_by_id(conversation.id).last_delivered_message_id < second.id
    unread.click()
    expect(page.get_by_role("dialog", name="Chat with us").locator(".msg.agent")).to_have_count(2)
    expect(tab.locator(".badge")).to_be_hidden()
    page.clock.run_for(1_000)
    wait_for(lambda: Conversation.get_by_id(conversation.id).last_delivered_message_id >= second.id)
    assert Ticket.select().where(Ticket.channel == "webchat").count() == 1


def test_a_signed_in_customers_chat_is_theirs_and_hidden_from_the_next_customer(
    page, shop, clock, fake_channel, live_server, make_agent, test_timeout
):
    clock.set(dt.datetime.now(dt.UTC).replace(tzinfo=None))  # the shop signs with the real time
    jane = fake_channel.receive("About my order", email="jane@example.net", name="Jane Doe").ticket.profile
    shop.signed_in = {"/": ("8123", "jane@example.net"), "/tea/sencha": ("9001", "bob@example.net")}
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Chat with us").click()
    # A signed-in customer is not asked who they are.
    expect(page.get_by_label("Your email (optional)")).to_be_hidden()
    page.get_by_label("Message").fill("Can I change my order?")
    page.get_by_label("Message").press("Enter")
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.channel == "webchat"))
    assert ticket.profile_id == jane.id
    api_reply(live_server, make_agent(), ticket, "Of course, Jane.", test_timeout)
    expect(page.locator(".msg.agent")).to_contain_text("Of course, Jane.")

    # Bob signs in on the same browser: Jane's chat is not his to read.
    page.get_by_role("link", name="Sencha").click()
    expect(page.get_by_role("heading", name="Page /tea/sencha")).to_be_visible()
    expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
    expect(page.locator(".msg")).to_have_count(0)
    page.get_by_label("Message").fill("Hello, Bob here")
    page.get_by_label("Message").press("Enter")
    bobs = wait_for(lambda: Ticket.get_or_none((Ticket.channel == "webchat") & (Ticket.id != ticket.id)))
    assert bobs.profile_id != jane.id
    expect(page.locator(".msg.agent")).to_have_count(0)
    expect(page.locator(".msg.visitor")).to_have_attribute("data-id", re.compile(r"^[0-9]+$"))
    # A single-page shop logs Bob out without a page load: his chat goes too.
    page.evaluate("window.HelplineChat.identify(null)")
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.get_by_label("Your email (optional)")).to_be_visible()

    # Logged out: no customer's chat shows.
    shop.signed_in = {}
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Page /")).to_be_visible()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.get_by_label("Your email (optional)")).to_be_visible()


def test_an_admin_generates_the_secret_on_the_settings_page(pages, shop, app, make_agent):
    page = pages.login(make_agent(role="admin"), start="/settings/webchat")
    expect(page.get_by_role("heading", name="Web chat", level=1)).to_be_visible()
    expect(page.locator("#webchat-snippet-code")).to_contain_text('data-key="wc_test_site_key_0123456789"')
    expect(page.locator("#webchat-secret-state")).to_have_text("A secret is set (hidden).")
    assert SECRET not in page.content()
    assert_accessible(page)
    # Rotating asks for a confirmation first (the shop's signatures stop working).
    page.get_by_role("button", name="Rotate the secret").click()
    expect(page.locator("#webchat-new-secret")).to_have_count(0)
    page.get_by_label("I understand that signatures made with the current secret stop working at once.").check()
    page.get_by_role("button", name="Rotate the secret").click()
    shown = page.locator("#webchat-new-secret")
    expect(shown).to_be_visible()
    stored = app.extensions["helpline.plugins"].get_settings("webchat")["identity_secret"]
    assert stored != SECRET
    expect(shown).to_have_text(stored)
    assert_accessible(page)
