"""The email channel's card on the ticket page (a real browser, a real
SMTP delivery): the addresses of the customer's latest email, Cc included."""

import pytest
from email_kit import SUPPORT, make_mail, smtp_send
from playwright.sync_api import expect

from app.models import Message


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_email_card_shows_from_to_and_cc(listener, pages, make_agent, assert_accessible, screenshot, width, height):
    mail = make_mail(
        text="Where is my order?",
        headers={"Cc": "Bo Partner <bo@customer.example>, accounts@customer.example"},
    )
    smtp_send(listener, mail)
    message = Message.get(Message.direction == "inbound")
    page = pages.login(make_agent(), start=f"/t/{message.ticket_id}")
    page.set_viewport_size({"width": width, "height": height})

    card = page.locator("#channel-card")
    expect(card.get_by_role("heading")).to_have_text("Email addresses")
    facts = dict(zip(card.locator("dt").all_inner_texts(), card.locator("dd").all_inner_texts(), strict=True))
    assert facts == {
        "From": "anna@customer.example",
        "To": SUPPORT,
        "Cc": "bo@customer.example, accounts@customer.example",
    }
    expect(card.get_by_role("link", name="anna@customer.example")).to_have_attribute(
        "href", "mailto:anna@customer.example"
    )
    # Beside the customer: right after the customer's card.
    customer = page.locator("#sidebar section", has=page.locator("#customer-heading"))
    assert customer.evaluate("el => el.nextElementSibling.id") == "channel-card"
    assert_accessible(page)
    screenshot(page, "card-email" if width >= 1024 else "phone-card-email")

    # A later email without Cc: the card follows the latest one.
    smtp_send(
        listener, make_mail(text="Any news?", message_id="<m2@customer.example>", in_reply_to="<m1@customer.example>")
    )
    page.reload()
    expect(page.locator("#channel-card dd[data-state=no_cc]")).to_have_text("nobody")
