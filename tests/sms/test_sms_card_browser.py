"""The SMS channel's card on the ticket page (a real browser, signed
webhooks): the customer's number and their consent state, as it changes."""

import pytest
from playwright.sync_api import expect
from sms_kit import CUSTOMER

from app.models import Ticket


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_sms_card_shows_the_number_and_consent(
    sms, pages, make_agent, assert_accessible, screenshot, width, height
):
    assert sms.inbound("Is my order shipped?").status_code == 200
    ticket = Ticket.get(Ticket.channel == "sms")
    page = pages.login(make_agent(), start=f"/t/{ticket.id}")
    page.set_viewport_size({"width": width, "height": height})

    card = page.locator("#channel-card")
    expect(card.get_by_role("heading")).to_have_text("SMS")
    expect(card.get_by_role("link", name=CUSTOMER)).to_have_attribute("href", f"tel:{CUSTOMER}")
    consent = card.locator("dd[data-state]")
    expect(consent).to_have_text("Never asked")
    expect(consent).to_have_attribute("data-state", "never_asked")
    assert_accessible(page)

    # The customer texts START: the card says they may now be texted.
    assert sms.inbound("START").status_code == 200
    page.reload()
    expect(consent).to_have_text("Opted in (transactional)")
    screenshot(page, "card-sms" if width >= 1024 else "phone-card-sms")
    # ... and STOP: opted out.
    assert sms.inbound("STOP").status_code == 200
    page.reload()
    expect(consent).to_have_text("Opted out")
    expect(consent).to_have_attribute("data-state", "opted_out")
    assert_accessible(page)
