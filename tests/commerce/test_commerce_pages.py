"""The commerce panel and its pages, server-side: what the agent sees on the
ticket page, the order and event lists, the Edit / Cancel forms by role, the
shop's refusal, saved event views; without scripts (the browser test covers
the dialog)."""

import datetime as dt
import re

import pytest
from playhouse.test_utils import count_queries

from app.models import Message, Order
from app.services import event_views


@pytest.fixture
def ana_ticket(fake_channel, fake_commerce, clock):
    fake_commerce.place(
        email="ana@example.net",
        name="#1001",
        lines=[("Blue mug", 2, "12.50"), ("Saucer", 1, "4.00")],
        placed_at=clock.now() - dt.timedelta(days=3),
    )
    fake_commerce.place(
        email="ana@example.net",
        name="#1000",
        status="cancelled",
        lines=[("Tea", 1, "100.00")],
        placed_at=clock.now() - dt.timedelta(days=40),
    )
    for n, metric in enumerate(["Viewed Product", "Added to Cart", "Viewed Product"]):
        fake_commerce.track(metric, email="ana@example.net", occurred_at=clock.now() - dt.timedelta(hours=n))
    return fake_channel.receive("Where is my order?", email="ana@example.net", name="Ana García").ticket


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_the_panel_shows_counts_and_money_spent(client, login, make_agent, ana_ticket):
    login(client, make_agent(role="support", password=None))
    page = client.get(f"/t/{ana_ticket.id}").get_data(as_text=True)
    panel = page[page.index("panel-commerce") : page.index("</section>", page.index("panel-commerce"))]
    assert "Orders and events" in panel
    assert "2 orders" in text(panel) and "3 events" in text(panel)
    assert "€29.00" in text(panel), "the cancelled order is not money spent"
    assert f'href="/customers/{ana_ticket.profile_id}/orders?ticket={ana_ticket.id}"' in panel
    assert "No customer panels are turned on." not in page


def test_the_panel_is_in_the_profile_api_too(client, make_agent, ana_ticket):
    from app.auth import create_token

    token = create_token(make_agent(role="support", password=None), "t")[1]
    body = client.get(f"/api/v1/profiles/{ana_ticket.profile_id}", headers={"Authorization": f"Bearer {token}"})
    panel = next(p for p in body.get_json()["panels"] if p["slug"] == "commerce")
    assert panel["data"]["orders_count"] == 2 and panel["data"]["events_count"] == 3
    assert panel["data"]["total_spent"] == [{"currency": "EUR", "amount": "29.00"}]
    assert panel["data"]["tickets_count"] == 1


def test_a_customer_without_orders_or_events_gets_no_commerce_panel(client, login, make_agent, fake_channel):
    ticket = fake_channel.receive("Hi", email="new@example.net").ticket
    login(client, make_agent(role="support", password=None))
    assert "panel-commerce" not in client.get(f"/t/{ticket.id}").get_data(as_text=True)


def test_orders_page_lists_lines_totals_and_states(client, login, make_agent, ana_ticket):
    login(client, make_agent(role="manager", password=None))
    page = client.get(f"/customers/{ana_ticket.profile_id}/orders?ticket={ana_ticket.id}").get_data(as_text=True)
    words = text(page)
    assert words.index("#1001") < words.index("#1000"), "newest first"
    assert "Blue mug" in words and "SKU SKU-1" in words and "€25.00" in words and "€29.00" in words
    assert "Cancelled" in words and "Unfulfilled" in words and "Paid" in words
    # The menu is offered on the open order only.
    assert page.count("Actions for order") == 1
    order = Order.get(Order.name == "#1001")
    assert f"/orders/{order.id}/edit?ticket={ana_ticket.id}" in page
    assert f"/orders/{order.id}/cancel?ticket={ana_ticket.id}" in page


def test_support_sees_no_order_menu_and_cannot_post(client, login, make_agent, ana_ticket):
    login(client, make_agent(role="support", password=None))
    page = client.get(f"/customers/{ana_ticket.profile_id}/orders").get_data(as_text=True)
    assert "Actions for order" not in page
    order = Order.get(Order.name == "#1001")
    assert client.get(f"/orders/{order.id}/edit").status_code == 403
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "customer"}).status_code == 403
    assert Order.get_by_id(order.id).status == "open"


def test_orders_page_queries_do_not_grow_with_orders(client, login, make_agent, fake_commerce, clock):
    login(client, make_agent(role="manager", password=None))
    profile_id = fake_commerce.place(email="many@example.net").profile_id
    client.get(f"/customers/{profile_id}/orders")
    with count_queries() as few:
        client.get(f"/customers/{profile_id}/orders")
    for n in range(8):
        fake_commerce.place(email="many@example.net", placed_at=clock.now() - dt.timedelta(days=n + 1))
    with count_queries() as many:
        page = client.get(f"/customers/{profile_id}/orders").get_data(as_text=True)
    assert page.count('class="order"') == 9
    assert many.count == few.count


def test_edit_and_cancel_without_scripts(client, login, make_agent, ana_ticket, fake_commerce):
    login(client, make_agent(role="manager", name="Mia", password=None))
    order = Order.get(Order.name == "#1001")
    form = client.get(f"/orders/{order.id}/edit?ticket={ana_ticket.id}").get_data(as_text=True)
    assert "Quantity of Blue mug" in form and 'value="2"' in form
    answer = client.post(
        f"/orders/{order.id}/edit?ticket={ana_ticket.id}",
        data={"line_id": order.lines[0]["external_id"], "quantity": "1"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/customers/{ana_ticket.profile_id}/orders?ticket={ana_ticket.id}"
    assert Order.get_by_id(order.id).lines[0]["quantity"] == 1
    assert Message.get(Message.kind == "notice").text == "Order #1001: quantity of Blue mug changed 2 → 1 by Mia"

    fake_commerce.refuse_next("Order is already fulfilled.")
    refused = client.post(
        f"/orders/{order.id}/cancel?ticket={ana_ticket.id}",
        data={"reason": "customer", "refund": "on"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["message"] == "Order is already fulfilled."

    done = client.post(
        f"/orders/{order.id}/cancel?ticket={ana_ticket.id}",
        data={"reason": "inventory", "restock": "on", "notify": "on"},
        headers={"Accept": "application/json"},
    )
    assert done.get_json()["message"] == "Order #1001 cancelled."
    assert fake_commerce.calls[-1][:6] == ("cancel", order.external_id, "inventory", False, True, True)
    page = client.get(f"/customers/{ana_ticket.profile_id}/orders").get_data(as_text=True)
    assert "Actions for order" not in page
    gone = client.get(f"/orders/{order.id}/cancel").get_data(as_text=True)
    assert "This order cannot be cancelled any more." in gone


def test_bad_quantity_is_refused_with_a_message(client, login, make_agent, ana_ticket):
    login(client, make_agent(role="owner", password=None))
    order = Order.get(Order.name == "#1001")
    answer = client.post(
        f"/orders/{order.id}/edit",
        data={"line_id": order.lines[0]["external_id"], "quantity": "-3"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 400 and "quantity" in answer.get_json()["error"]["fields"]
    assert Order.get_by_id(order.id).lines[0]["quantity"] == 2


def test_events_filter_save_reuse_and_delete(client, login, make_agent, ana_ticket):
    agent = make_agent(role="support", password=None)
    login(client, agent)
    base = f"/customers/{ana_ticket.profile_id}/events"
    page = client.get(f"{base}?ticket={ana_ticket.id}").get_data(as_text=True)
    assert page.count("data-event-id") == 3
    assert "Added to Cart (1)" in page and "Viewed Product (2)" in page

    filtered = client.get(f"{base}?metric=Viewed+Product").get_data(as_text=True)
    assert filtered.count("data-event-id") == 2 and "Save this filter as" in filtered

    saved = client.post(
        f"/event-views?ticket={ana_ticket.id}",
        data={"name": "Browsing", "metric": "Viewed Product", "profile_id": ana_ticket.profile_id},
    )
    view = event_views.list_views(agent)[0]
    assert saved.headers["Location"] == f"{base}?ticket={ana_ticket.id}&view={view.id}"
    reused = client.get(f"{base}?view={view.id}").get_data(as_text=True)
    assert reused.count("data-event-id") == 2 and "View Browsing: Viewed Product" in reused

    duplicate = client.post(
        "/event-views",
        data={"name": "Browsing", "metric": "Added to Cart", "profile_id": ana_ticket.profile_id},
        headers={"Accept": "application/json"},
    )
    assert (
        duplicate.status_code == 409
        and "already have a view named Browsing" in duplicate.get_json()["error"]["message"]
    )

    other = make_agent(role="support", password=None)
    login(client, other)
    assert client.get(f"{base}?view={view.id}").status_code == 404, "saved views are personal"
    login(client, agent)
    client.post(f"/event-views/{view.id}/delete", data={"profile_id": ana_ticket.profile_id})
    assert event_views.list_views(agent) == []


def test_partial_pages_are_only_the_content(client, login, make_agent, ana_ticket):
    login(client, make_agent(role="support", password=None))
    part = client.get(f"/customers/{ana_ticket.profile_id}/orders?partial=1").get_data(as_text=True)
    assert "<html" not in part and "Orders of Ana García" in part and 'method="dialog"' in part
    assert "<script" not in part


def test_out_of_range_ids_are_404_pages(client, login, make_agent):
    login(client, make_agent(role="owner", password=None))
    huge = 2**63
    for url in (
        f"/customers/{huge}/orders",
        f"/customers/{huge}/events",
        f"/orders/{huge}/edit",
        f"/orders/{huge}/cancel",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/event-views/{huge}/delete").status_code == 404
    saved = client.post("/event-views", data={"name": "x", "metric": "y", "profile_id": "9999999999"})
    assert saved.status_code == 302, "an out-of-range profile is ignored, not a crash"
