"""Orders and events on the ticket page in a real browser (Debian's
Chromium through Playwright), against the kit's in-memory shop: open the
orders, edit a quantity, cancel (confirmed, after a refusal), filter events
by metric, save the filter and reuse it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from app.models import EventView, Message, Order


@pytest.fixture
def helpline_config():
    # The real CSRF policy: the dialog's forms must carry their tokens.
    return {"WTF_CSRF_ENABLED": True}


def test_orders_and_events_from_the_ticket_page(pages, wait_live, make_agent, fake_channel, fake_commerce, clock):
    manager = make_agent(role="manager", name="Mia Manager", password=None)
    fake_commerce.place(
        email="ana@example.net",
        name="#1001",
        lines=[("Blue mug", 2, "12.50"), ("Saucer", 1, "4.00")],
        placed_at=clock.now() - dt.timedelta(days=2),
    )
    fake_commerce.place(
        email="ana@example.net", name="#1000", lines=[("Tea", 1, "9.00")], placed_at=clock.now() - dt.timedelta(days=30)
    )
    for n, metric in enumerate(["Viewed Product", "Added to Cart", "Viewed Product"]):
        fake_commerce.track(metric, email="ana@example.net", occurred_at=clock.now() - dt.timedelta(hours=n))
    ticket = fake_channel.receive("One mug is enough", email="ana@example.net", name="Ana García").ticket

    page = pages.login(manager, start=f"/t/{ticket.id}")
    panel = page.locator(".panel-commerce")
    expect(panel).to_contain_text("Orders and events")
    expect(page.locator("#total-spent")).to_have_text("€38.00")

    # N orders opens the recent orders.
    page.get_by_role("link", name="2 orders").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Orders of Ana García")).to_be_visible()
    first = dialog.locator("article.order").first
    expect(first).to_contain_text("#1001")
    expect(first).to_contain_text("Blue mug")
    expect(first.locator("[data-order-total]")).to_have_text("€29.00")

    # Edit: the three-dots menu, the quantity form, a confirmation.
    dialog.get_by_label("Actions for order #1001").click()
    dialog.get_by_role("link", name="Edit").click()
    expect(dialog.get_by_role("heading", name="Edit order #1001")).to_be_visible()
    dialog.get_by_label("Quantity of Blue mug").fill("1")
    dialog.get_by_role("button", name="Change quantity").first.click()
    expect(dialog.get_by_role("alertdialog")).to_have_text(
        "Change the quantity of Blue mug from 2 to 1?Yes, change itBack"
    )
    dialog.get_by_role("button", name="Yes, change it").click()
    expect(dialog.get_by_role("heading", name="Orders of Ana García")).to_be_visible()
    expect(dialog.locator("article.order").first.locator("[data-order-total]")).to_have_text("€16.50")
    expect(page.locator(".toast").filter(has_text="Order #1001 changed.")).to_be_visible()
    edited = Order.get(Order.name == "#1001")
    assert edited.lines[0]["quantity"] == 1
    assert fake_commerce.calls[-1][:4] == (
        "edit_quantity",
        edited.external_id,
        edited.lines[0]["external_id"],
        1,
    )

    # Cancel: the shop refuses first (its message is shown), then accepts.
    fake_commerce.refuse_next("Order has a pending fulfillment and cannot be cancelled.")
    dialog.get_by_label("Actions for order #1001").click()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog.get_by_role("heading", name="Cancel order #1001?")).to_be_visible()
    dialog.get_by_label("Email the customer").uncheck()
    dialog.get_by_role("button", name="Cancel order").click()
    expect(dialog.get_by_role("alert")).to_have_text("Order has a pending fulfillment and cannot be cancelled.")
    assert Order.get(Order.name == "#1001").status == "open"
    # The refusal is a 409, which Chromium logs; expected here, so taken off the page-error list.
    assert pages.errors == ["console: Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    pages.errors.clear()
    dialog.get_by_role("button", name="Cancel order").click()
    expect(dialog.locator("article.order").first.locator("[data-order-status]")).to_have_text("Cancelled")
    expect(dialog.get_by_label("Actions for order #1001")).to_have_count(0)
    assert fake_commerce.calls[-1][2:6] == ("customer", True, True, False)
    expect(page.locator(".msg-notice").filter(has_text="Order #1001 cancelled by Mia Manager")).to_be_visible()
    assert Message.select().where(Message.kind == "notice").count() == 2

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#total-spent")).to_have_text("€9.00")

    # N events opens the events; filter by metric, save the filter, reuse it.
    page.get_by_role("link", name="3 events").click()
    expect(dialog.get_by_role("heading", name="Events of Ana García")).to_be_visible()
    rows = dialog.locator("tr[data-event-id]")
    expect(rows).to_have_count(3)
    dialog.get_by_label("Metric").select_option("Viewed Product")
    dialog.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    dialog.get_by_label("Save this filter as").fill("Browsing")
    dialog.get_by_role("button", name="Save view").click()
    expect(dialog.locator("#event-view-applied")).to_have_text("View Browsing: Viewed Product")
    assert EventView.get().metric == "Viewed Product"
    dialog.get_by_label("Metric").select_option("")
    dialog.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(3)
    dialog.get_by_role("link", name="Browsing").click()
    expect(rows).to_have_count(2)
    expect(dialog.locator("[data-metric]").first).to_have_text("Viewed Product")
