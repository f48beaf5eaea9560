"""Macros in a real browser (Debian's Chromium through Playwright): the
macros page, the composer picker with its m shortcut and editable preview,
and the bulk-bar entry. Fails on any console or page error."""

import pytest
from playwright.sync_api import expect

from app.services import tickets as ticket_service
from app.testing import factories
from app.testing.factories import refresh
from plugins.macros.models import Macro


@pytest.fixture
def helpline_config():
    # The real CSRF policy: the scripts must send the token with every write.
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def page(pages):
    """A Chromium page on the live app; any console or page error fails the test."""
    return pages.new()


def log_in(page, agent):
    page.goto("/login")
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox/mine")


def scripts_ready(page):
    page.wait_for_function("() => document.body.dataset.live === '1' && window.HelplineMacros === true")


def test_create_pick_edit_send_and_bulk_apply(page, fake_channel, app):
    manager = factories.agent(role="manager", name="Bob Boss")
    ada = fake_channel.receive("Where is my order?", name="Ada Lovelace", email="ada@example.net").ticket
    others = [fake_channel.receive(f"Question {i}", email=f"c{i}@example.net").ticket for i in range(2)]
    log_in(page, manager)

    # The macros page: a template error is shown, then the macro is saved.
    page.goto("/macros")
    page.get_by_role("link", name="New macro").click()
    page.get_by_label("Name").fill("Shipping update")
    page.get_by_label("Reply").fill("Hi {{ customer.nickname }}")
    page.get_by_label("Action 1", exact=True).select_option(label="Add tags")
    page.get_by_label("Value of action 1").fill("shipping, update")
    page.get_by_role("button", name="Save macro").click()
    expect(page.get_by_role("alert")).to_contain_text("customer.nickname")
    page.get_by_label("Reply").fill("Hi {{ customer.first_name }}, your order ships today. {{ agent.first_name }}")
    page.get_by_label("Share with the team").check()
    page.get_by_role("button", name="Save macro").click()
    expect(page.locator("tr[data-macro-id]")).to_contain_text("Shipping update")
    expect(page.locator("tr[data-macro-id]")).to_contain_text("Add tags: shipping, update")
    macro = Macro.get()
    assert macro.shared and macro.actions == [{"type": "add_tags", "params": {"tags": ["shipping", "update"]}}]

    # The composer: m opens the picker, search + Enter previews, the agent
    # edits the text, and the edited reply goes out with the actions.
    page.goto(f"/t/{ada.id}")
    scripts_ready(page)
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog", name="Apply a macro")
    expect(dialog).to_be_visible()
    page.get_by_label("Search macros").fill("ship")
    expect(page.get_by_role("option", name="Shipping update")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Search macros").press("Enter")
    body = page.get_by_label("Reply (edit it before sending)")
    expect(body).to_have_value("Hi Ada, your order ships today. Bob")
    expect(dialog).to_contain_text("Add tags: shipping, update")
    body.fill("Hi Ada, your order ships today with DHL. Bob")
    page.get_by_role("button", name="Apply macro").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".msg-outbound")).to_contain_text("your order ships today with DHL")
    assert [o.text for o in fake_channel.sent] == ["Hi Ada, your order ships today with DHL. Bob"]
    assert ticket_service.tags_of(ada) == ["shipping", "update"]
    assert refresh(macro).usage_count == 1

    # The keyboard help lists the shortcut.
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_contain_text("Apply a macro")
    page.keyboard.press("Escape")

    # The bulk bar: select two tickets, apply the macro, see the outcome.
    page.goto("/inbox/all")
    scripts_ready(page)
    for ticket in others:
        page.get_by_label(f"Select ticket #{ticket.id}").check()
    page.get_by_label("Macro to apply").select_option(label="Shipping update")
    page.get_by_role("button", name="Apply macro").click()
    expect(page.locator("#bulk-macro-status")).to_contain_text("“Shipping update” applied to 2 of 2 tickets.")
    assert all(ticket_service.tags_of(t) == ["shipping", "update"] for t in others)
    assert len(fake_channel.sent) == 3
