"""The web chat channel's card on the ticket page (a real browser, the
widget's real API): whether the visitor is still there and the page they
write from."""

import pytest
from playwright.sync_api import expect

from app.models import Ticket

from .conftest import SITE_KEY


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_webchat_card_shows_the_visitor(
    client, webchat, pages, make_agent, clock, assert_accessible, screenshot, width, height
):
    started = client.post(
        "/api/v1/webchat/conversations",
        json={"key": SITE_KEY, "email": "ada@example.net", "page_url": "https://shop.example.test/tea"},
    ).get_json()
    client.post(
        f"/api/v1/webchat/conversations/{started['conversation_id']}/messages",
        headers={"X-Webchat-Token": started["token"]},
        json={"client_id": "a", "text": "Is the green tea in stock?"},
    )
    ticket = Ticket.get(Ticket.channel == "webchat")
    page = pages.login(make_agent(), start=f"/t/{ticket.id}")
    page.set_viewport_size({"width": width, "height": height})

    card = page.locator("#channel-card")
    expect(card.get_by_role("heading")).to_have_text("Web chat visitor")
    expect(card.locator("dd[data-state]")).to_have_text("In the chat now")
    link = card.get_by_role("link", name="https://shop.example.test/tea")
    expect(link).to_have_attribute("href", "https://shop.example.test/tea")
    expect(card).to_contain_text("ada@example.net")
    assert_accessible(page)
    screenshot(page, "card-webchat" if width >= 1024 else "phone-card-webchat")

    # The visitor goes quiet: after the presence window the card says so.
    clock.advance(minutes=5)
    page.reload()
    expect(card.locator("dd[data-state=left]")).to_have_text("Left the chat")
