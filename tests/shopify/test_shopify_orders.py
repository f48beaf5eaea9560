"""Order operations through Shopify: edit a quantity (orderEditBegin →
orderEditSetQuantity → orderEditCommit) and cancel (orderCancel), with the
exact mutations the shop received, the customer's email sent by Shopify,
and Shopify's own refusals shown unchanged."""

from decimal import Decimal

import pytest

from app.commerce import ProviderRefusal, provider
from app.models import Activity, Message, Order
from app.services.commerce import ProviderError, order_operation


@pytest.fixture
def stored(shop, deliver, fake_channel):
    """``stored(**order)`` places an order in the shop, delivers its
    webhook and opens a ticket from its customer: ``(shop order, Order, Ticket)``."""

    def make(email="mo@example.net", **kwargs):
        kwargs.setdefault("lines", [("Blue mug", 3, "12.50"), ("Tea", 1, "4.00")])
        placed = shop.add_order(shop.add_customer(email=email, first_name="Mo"), **kwargs)
        assert deliver("orders/create", shop.order_payload(placed["id"])).status_code == 200
        order = Order.get((Order.source == "shopify") & (Order.external_id == str(placed["id"])))
        ticket = fake_channel.receive("About my order", email=email).ticket
        return placed, order, ticket

    return make


def _notices(ticket):
    return [m.text for m in Message.select().where((Message.ticket == ticket.id) & (Message.kind == "notice"))]


def test_edit_quantity_round_trips_through_shopify(app, shop, stored, make_agent):
    placed, order, ticket = stored()
    agent = make_agent(role="manager", name="Mia Manager")
    mug = placed["line_items"][0]
    result = order_operation(order, "edit_quantity", agent, ticket, line_external_id=str(mug["id"]), quantity=1)

    calculated = shop.calls("OrderEditSetQuantity")[0]["id"]
    assert shop.calls("OrderEditBegin") == [{"id": f"gid://shopify/Order/{placed['id']}"}]
    assert calculated.startswith("gid://shopify/CalculatedOrder/")
    assert shop.calls("OrderEditSetQuantity") == [
        {
            "id": calculated,
            "lineItemId": f"gid://shopify/CalculatedLineItem/{mug['id']}",
            "quantity": 1,
            "restock": True,
        }
    ]
    assert shop.calls("OrderEditCommit") == [
        {"id": calculated, "notifyCustomer": True, "staffNote": "Quantity set to 1 by Mia Manager in Helpline."}
    ]
    # Shopify emails the customer the updated invoice, and Helpline stores the order it reads back.
    assert shop.notifications == [{"kind": "order_edited", "order_id": placed["id"], "email": "mo@example.net"}]
    assert shop.calls("OrderForHelpline")[-1]["id"] == f"gid://shopify/Order/{placed['id']}"
    row = Order.get_by_id(result.id)
    assert [(line["title"], line["quantity"]) for line in row.lines] == [("Blue mug", 1), ("Tea", 1)]
    assert row.total == Decimal("16.50")
    assert any("3 → 1" in text and "Mia Manager" in text for text in _notices(ticket))
    assert (
        Activity.select().where((Activity.ticket == ticket.id) & (Activity.action == "order_quantity_changed")).exists()
    )


def test_cancel_sends_the_agents_choices_to_shopify(app, shop, stored, make_agent):
    placed, order, ticket = stored()
    agent = make_agent(role="admin", name="Ada Admin")
    order_operation(order, "cancel", agent, ticket, reason="inventory", refund=True, restock=False, notify=True)
    assert shop.calls("OrderCancel") == [
        {
            "orderId": f"gid://shopify/Order/{placed['id']}",
            "reason": "INVENTORY",
            "refundMethod": {"originalPaymentMethodsRefund": True},
            "restock": False,
            "notifyCustomer": True,
            "staffNote": "Cancelled by Ada Admin in Helpline.",
        }
    ]
    assert shop.notifications == [{"kind": "order_cancelled", "order_id": placed["id"], "email": "mo@example.net"}]
    row = Order.get_by_id(order.id)
    assert row.status == "cancelled" and row.cancelled_at is not None and row.financial_status == "refunded"
    assert any("cancelled by Ada Admin" in text for text in _notices(ticket))


def test_cancel_without_refund_or_email(app, shop, stored, make_agent):
    placed, order, ticket = stored()
    order_operation(order, "cancel", make_agent(role="owner"), ticket, reason="customer")
    sent = shop.calls("OrderCancel")[0]
    assert sent["refundMethod"] == {"originalPaymentMethodsRefund": False}
    assert sent["notifyCustomer"] is False and sent["restock"] is False and sent["reason"] == "CUSTOMER"
    assert shop.notifications == []
    assert Order.get_by_id(order.id).financial_status == "paid"


def test_shopify_refuses_to_edit_a_line_already_fulfilled(app, shop, stored, make_agent):
    placed, order, ticket = stored()
    # Shopify fulfilled it meanwhile; its webhook has not arrived yet.
    placed["line_items"][0]["fulfilled"] = 3
    with pytest.raises(ProviderRefusal) as refused:
        order_operation(
            order,
            "edit_quantity",
            make_agent(role="manager"),
            ticket,
            line_external_id=str(placed["line_items"][0]["id"]),
            quantity=1,
        )
    assert refused.value.message == "The quantity can't be less than the quantity that has already been fulfilled."
    assert shop.calls("OrderEditCommit") == [] and shop.notifications == []
    assert Order.get_by_id(order.id).lines == order.lines
    assert _notices(ticket) == []


def test_shopify_refuses_to_change_a_cancelled_order(app, shop, stored, make_agent, clock):
    placed, order, ticket = stored()
    placed["cancelled_at"] = clock.now()
    agent = make_agent(role="manager")
    with pytest.raises(ProviderRefusal) as edit:
        order_operation(
            order, "edit_quantity", agent, ticket, line_external_id=order.lines[0]["external_id"], quantity=1
        )
    assert edit.value.message == "Canceled orders can't be edited."
    with pytest.raises(ProviderRefusal) as cancel:
        order_operation(order, "cancel", agent, ticket, reason="customer")
    assert cancel.value.message == "Order has already been cancelled."
    assert Order.get_by_id(order.id).status == "open" and _notices(ticket) == []


def test_offered_operations_follow_the_stored_order(app, shop, stored):
    shopify = provider("shopify")
    _placed, order, _ticket = stored()
    assert shopify.operations(order) == {"edit_quantity", "cancel"}
    order.fulfillment_status = "partially_fulfilled"
    assert shopify.operations(order) == {"edit_quantity"}
    order.fulfillment_status = "fulfilled"
    assert shopify.operations(order) == set()
    order.fulfillment_status, order.status = "unfulfilled", "cancelled"
    assert shopify.operations(order) == set()


def test_shopify_out_of_reach_is_a_provider_error(app, shop, stored, make_agent):
    _placed, order, ticket = stored()
    shop.fail(None, status=503, times=10)
    with pytest.raises(ProviderError):
        order_operation(order, "cancel", make_agent(role="manager"), ticket, reason="customer")
    # A mutation is sent once: had Shopify applied it, a second one could do harm.
    assert [r["operation"] for r in shop.requests] == ["OrderCancel"]
    assert Order.get_by_id(order.id).status == "open" and _notices(ticket) == []


def test_a_revoked_token_is_refused_with_the_reason(app, shop, stored, make_agent):
    _placed, order, ticket = stored()
    shop.access_token = "shpat_revoked"
    with pytest.raises(ProviderRefusal) as refused:
        order_operation(order, "cancel", make_agent(role="manager"), ticket, reason="customer")
    assert "access token" in refused.value.message and "401" in refused.value.message


def test_support_agents_cannot_change_orders(app, shop, stored, make_agent):
    from app.services import Forbidden

    _placed, order, ticket = stored()
    with pytest.raises(Forbidden):
        order_operation(order, "cancel", make_agent(role="support"), ticket, reason="customer")
    assert shop.calls("OrderCancel") == []
