"""Shopify's orders and customers as the core's commerce records: from the
REST shape of webhooks (validated by :mod:`.schemas`) and from the Admin
GraphQL nodes the backfill and the order operations read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.plugin import CustomerRef, OrderData, OrderLine, ServiceError, normalize_phone

from .client import ShopifyError

SOURCE = "shopify"
CENT = Decimal("0.01")
# Shopify's REST webhooks and GraphQL name fulfilment states differently.
_REST_FULFILLMENT = {None: "unfulfilled", "partial": "partially_fulfilled"}


def gid(kind, number):
    """A Shopify global id, e.g. ``gid://shopify/Order/450789469``."""
    return f"gid://shopify/{kind}/{number}"


def legacy_id(value):
    """The numeric id at the end of a global id, as text (or None)."""
    text = str(value or "")
    number = text.rsplit("/", 1)[-1]
    return number if number.isdigit() and len(number) <= 19 else None


def admin_url(shop, order_id):
    """Where staff open the order in the Shopify admin."""
    return f"https://{shop}/admin/orders/{order_id}" if shop else None


def _utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _status(cancelled_at, closed_at):
    if cancelled_at is not None:
        return "cancelled"
    return "closed" if closed_at is not None else "open"


def _phone(*candidates):
    """The first number that can be dialled: Shopify keeps what people
    typed, and a bad phone must not cost the order its customer."""
    for value in candidates:
        if value:
            try:
                return normalize_phone(value)
            except ServiceError:
                continue
    return None


def _name(first, last):
    return " ".join(part for part in (first or "", last or "") if part).strip() or None


def _line(external_id, title, quantity, unit_price, sku, variant):
    unit_price = Decimal(unit_price).quantize(CENT)
    return OrderLine(
        external_id=str(external_id),
        title=(title or "")[:255],
        quantity=quantity,
        unit_price=unit_price,
        total=(unit_price * quantity).quantize(CENT),
        sku=sku or None,
        variant=variant or None,
    )


# --- webhooks (REST shape) ---------------------------------------------------


def customer_from_webhook(customer, email=None, phone=None) -> CustomerRef:
    """A customer object of a webhook (or of an order's ``customer``).
    Shopify's ``verified_email`` says whether the customer confirmed their
    address; an order without a customer only has what the buyer typed."""
    customer = customer or {}
    return CustomerRef(
        external_id=str(customer["id"]) if customer.get("id") else None,
        email=customer.get("email") or email,
        phone=_phone(customer.get("phone"), phone),
        name=_name(customer.get("first_name"), customer.get("last_name")),
        verified=bool(customer.get("verified_email")),
    )


def order_from_webhook(payload, shop) -> OrderData:
    """An ``orders/*`` webhook payload (``OrderPayload`` output). Lines show
    their current quantity (after edits); removed lines are left out."""
    lines = []
    for item in payload["line_items"]:
        quantity = item["current_quantity"] if item["current_quantity"] is not None else item["quantity"]
        if quantity > 0:
            title = item["title"] or item["name"] or ""
            lines.append(_line(item["id"], title, quantity, item["price"], item["sku"], item["variant_title"]))
    total = payload["current_total_price"] if payload["current_total_price"] is not None else payload["total_price"]
    subtotal = payload["current_subtotal_price"]
    if subtotal is None:
        subtotal = payload["subtotal_price"]
    fulfillment = payload["fulfillment_status"]
    return OrderData(
        external_id=str(payload["id"]),
        customer=customer_from_webhook(payload["customer"], payload["email"], payload["phone"]),
        lines=lines,
        total=total if total is not None else sum((line.total for line in lines), Decimal("0.00")),
        currency=payload["currency"],
        status=_status(payload["cancelled_at"], payload["closed_at"]),
        placed_at=_utc(payload["processed_at"] or payload["created_at"]),
        name=payload["name"],
        subtotal=subtotal,
        financial_status=(payload["financial_status"] or "").lower() or None,
        fulfillment_status=_REST_FULFILLMENT.get(fulfillment, fulfillment),
        cancelled_at=_utc(payload["cancelled_at"]),
        updated_at=_utc(payload["updated_at"]),
        url=admin_url(shop, payload["id"]),
    )


# --- Admin GraphQL ----------------------------------------------------------------


def _amount(bag):
    try:
        return Decimal(str(bag["shopMoney"]["amount"])).quantize(CENT)
    except (KeyError, TypeError, InvalidOperation):
        return None


def customer_from_node(node, email=None, phone=None) -> CustomerRef:
    """An order's ``customer`` as the GraphQL order selection reads it
    (``verifiedEmail`` as in :func:`customer_from_webhook`)."""
    node = node or {}
    return CustomerRef(
        external_id=legacy_id(node.get("id")),
        email=((node.get("defaultEmailAddress") or {}).get("emailAddress")) or email,
        phone=_phone((node.get("defaultPhoneNumber") or {}).get("phoneNumber"), phone),
        name=_name(node.get("firstName"), node.get("lastName")),
        verified=bool(node.get("verifiedEmail")),
    )


def order_from_node(node, shop) -> OrderData:
    """An order node of the ``HelplineOrder`` selection (graphql.py)."""
    try:
        number = legacy_id(node["id"])
        if number is None:
            raise ValueError(node["id"])
        lines = [
            _line(
                legacy_id(item["id"]),
                item["title"],
                int(item["currentQuantity"]),
                _amount(item["originalUnitPriceSet"]) or Decimal("0.00"),
                item.get("sku"),
                item.get("variantTitle"),
            )
            for item in node["lineItems"]["nodes"]
            if int(item["currentQuantity"]) > 0
        ]
        cancelled_at = _utc(node.get("cancelledAt"))
        total = _amount(node.get("currentTotalPriceSet"))
        return OrderData(
            external_id=number,
            customer=customer_from_node(node.get("customer"), node.get("email"), node.get("phone")),
            lines=lines,
            total=total if total is not None else sum((line.total for line in lines), Decimal("0.00")),
            currency=node["currencyCode"],
            status=_status(cancelled_at, node.get("closedAt")),
            placed_at=_utc(node.get("processedAt") or node["createdAt"]),
            name=node.get("name"),
            subtotal=_amount(node.get("currentSubtotalPriceSet")),
            financial_status=(node.get("displayFinancialStatus") or "").lower() or None,
            fulfillment_status=(node.get("displayFulfillmentStatus") or "").lower() or None,
            cancelled_at=cancelled_at,
            updated_at=_utc(node.get("updatedAt")),
            url=admin_url(shop, number),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ShopifyError(_("Shopify sent an order Helpline cannot read (%(error)s).", error=repr(exc)[:200]))


def more_lines(node):
    """Whether the order has more line items than the page read."""
    return bool(((node.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"))
