"""Orders and events of customers: the import endpoints (per profile and in
bulk), the lists the ticket page shows, order operations, and agents' saved
event filters. See docs/commerce.md and docs/api.md."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import fields, validate

from ..auth import current_agent, require
from ..commerce import CANCEL, EDIT_QUANTITY, ProviderRefusal
from ..models import Order, Profile, Ticket
from ..services import commerce as commerce_service
from ..services import commerce_import as inputs
from ..services import customer_history as history
from ..services import event_views
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_commerce", __name__, url_prefix="/api/v1", description="Customers' orders and events (commerce)")
ID = "dbid"
# How a Decimal sent as a string is described in the OpenAPI document
# (apispec would call it a number).
AMOUNT = {"type": "string", "format": "decimal", "description": "decimal string"}


# --- shapes ---------------------------------------------------------------------


class LineSchema(ma.Schema):
    external_id = fields.String()
    title = fields.String()
    sku = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    quantity = fields.Integer()
    unit_price = fields.String(metadata={"description": "decimal string"})
    total = fields.String(metadata={"description": "decimal string"})


class OrderSchema(ma.Schema):
    id = fields.Integer()
    profile_id = fields.Integer()
    source = fields.String()
    external_id = fields.String()
    name = fields.String(attribute="display_name")
    lines = fields.List(fields.Nested(LineSchema))
    # Amounts go out as decimal strings ("12.50"): a JSON number would lose cents to floating point.
    subtotal = fields.Decimal(places=2, as_string=True, allow_none=True, metadata=AMOUNT)
    total = fields.Decimal(places=2, as_string=True, metadata=AMOUNT)
    currency = fields.String()
    status = fields.String()
    financial_status = fields.String(allow_none=True)
    fulfillment_status = fields.String(allow_none=True)
    placed_at = s.UtcDateTime()
    cancelled_at = s.UtcDateTime(allow_none=True)
    updated_at = s.UtcDateTime(allow_none=True, metadata={"description": "the platform's last change"})
    url = fields.String(allow_none=True)
    operations = fields.List(fields.String(), metadata={"description": "what agents can do now: edit_quantity, cancel"})


class StoredOrder(OrderSchema):
    outcome = fields.String(metadata={"description": "created, updated or stale (older than stored; ignored)"})


class OrderPage(ma.Schema):
    items = fields.List(fields.Nested(OrderSchema), metadata={"description": "newest first"})
    next_cursor = fields.String(allow_none=True)


class EventSchema(ma.Schema):
    id = fields.Integer()
    profile_id = fields.Integer()
    source = fields.String()
    external_id = fields.String(allow_none=True)
    metric = fields.String()
    properties = fields.Dict()
    occurred_at = s.UtcDateTime()


class StoredEvent(EventSchema):
    outcome = fields.String(metadata={"description": "created or duplicate"})


class EventPage(ma.Schema):
    items = fields.List(fields.Nested(EventSchema), metadata={"description": "newest first"})
    next_cursor = fields.String(allow_none=True)


class OrderListQuery(ma.Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=history.MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(min=1, max=300))


class EventListQuery(OrderListQuery):
    metric = fields.String(validate=validate.Length(min=1, max=100))


class MetricCount(ma.Schema):
    metric = fields.String()
    count = fields.Integer()


class MetricList(ma.Schema):
    items = fields.List(fields.Nested(MetricCount))


class CommerceBulkItem(ma.Schema):
    external_id = fields.String()
    outcome = fields.String()
    id = fields.Integer()
    profile_id = fields.Integer()


class CommerceBulkResult(ma.Schema):
    results = fields.List(fields.Nested(CommerceBulkItem), metadata={"description": "one per distinct external id"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "per outcome"})


class EditQuantityBody(s.Strict):
    line_id = fields.String(
        required=True, validate=validate.Length(min=1, max=255), metadata={"description": "the line's external_id"}
    )
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000))
    ticket_id = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "record the change on this ticket (activity and a thread notice)"},
    )


class CancelBody(s.Strict):
    reason = fields.String(load_default="customer", validate=validate.OneOf(commerce_service.CANCEL_REASONS))
    refund = fields.Boolean(load_default=False)
    restock = fields.Boolean(load_default=False)
    notify = fields.Boolean(load_default=True, metadata={"description": "the shop emails the customer"})
    ticket_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class EventViewSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    metric = fields.String()
    created_at = s.UtcDateTime()


class EventViewList(ma.Schema):
    items = fields.List(fields.Nested(EventViewSchema))


class EventViewCreate(s.Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    metric = fields.String(required=True, validate=validate.Length(min=1, max=100))


# --- helpers ---------------------------------------------------------------------


def _profile(profile_id):
    profile = Profile.get_or_none(Profile.id == profile_id)
    if profile is None:
        raise ApiError(404, _("Profile %(id)s does not exist.", id=profile_id))
    return profile


def _order(order_id):
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise ApiError(404, _("Order %(id)s does not exist.", id=order_id))
    return order


def with_operations(orders):
    """Orders ready for :class:`OrderSchema` (their operations attached)."""
    offered = history.operations_for(orders)
    for order in orders:
        order.operations = offered.get(order.id, [])
    return orders


def _bulk_answer(results):
    counts = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return {
        "results": [
            {
                "external_id": r.external_id,
                "outcome": r.outcome,
                "id": r.record.id,
                "profile_id": r.record.profile_id,
            }
            for r in results
        ],
        "counts": counts,
    }


def _ticket_for(order, ticket_id):
    if ticket_id is None:
        return None
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None or ticket.profile_id != order.profile_id:
        raise ApiError(422, _("Ticket %(id)s is not this customer's.", id=ticket_id), field="ticket_id")
    return ticket


def _operate(order, operation, ticket_id, **params):
    try:
        stored = commerce_service.order_operation(
            order, operation, current_agent(), ticket=_ticket_for(order, ticket_id), **params
        )
    except ProviderRefusal as refusal:
        raise ApiError(409, refusal.message, code="provider_refused")
    return with_operations([stored])[0]


# --- per profile ------------------------------------------------------------------


@bp.get(f"/profiles/<{ID}:profile_id>/orders")
@require("inbox")
@bp.arguments(OrderListQuery, location="query", as_kwargs=True)
@bp.response(200, OrderPage)
def list_orders(profile_id, limit, cursor=None):
    """The customer's orders, newest first, one keyset page at a time
    (``?cursor=<next_cursor>``), each with the operations agents can do now."""
    rows, next_cursor = history.list_orders(_profile(profile_id), limit=limit, cursor=cursor)
    return {"items": with_operations(rows), "next_cursor": next_cursor}


@bp.post(f"/profiles/<{ID}:profile_id>/orders")
@require("commerce.import")
@bp.arguments(inputs.ProfileOrderIn)
@bp.response(201, StoredOrder, description="Created (200 when it updated a stored order, or was older and ignored)")
@bp.alt_response(200, schema=StoredOrder, description="Updated, or stale and ignored")
@bp.alt_response(409, response="CONFLICT", description="The order is stored for another customer")
def post_order(body, profile_id):
    """Store or update one order of this customer, keyed by ``(source,
    external_id)``; ``customer`` may be left out."""
    source, data = body
    stored = commerce_service.upsert_order(source, data, profile=_profile(profile_id))
    with_operations([stored])
    return stored, 201 if stored.outcome == "created" else 200


@bp.get(f"/profiles/<{ID}:profile_id>/events")
@require("inbox")
@bp.arguments(EventListQuery, location="query", as_kwargs=True)
@bp.response(200, EventPage)
def list_events(profile_id, limit, cursor=None, metric=None):
    """The customer's events, newest first, of one ``metric`` when given;
    one keyset page at a time (the cursor belongs to the same filter)."""
    rows, next_cursor = history.list_events(_profile(profile_id), metric=metric, limit=limit, cursor=cursor)
    return {"items": rows, "next_cursor": next_cursor}


@bp.post(f"/profiles/<{ID}:profile_id>/events")
@require("commerce.import")
@bp.arguments(inputs.ProfileEventIn)
@bp.response(201, StoredEvent, description="Created (200 when the event was stored before)")
@bp.alt_response(200, schema=StoredEvent, description="Stored before: a duplicate, unchanged")
def post_event(body, profile_id):
    """Store one event of this customer once, keyed by ``(source, external_id)``."""
    source, data = body
    stored = commerce_service.upsert_event(source, data, profile=_profile(profile_id))
    return stored, 201 if stored.outcome == "created" else 200


@bp.get(f"/profiles/<{ID}:profile_id>/event-metrics")
@require("inbox")
@bp.response(200, MetricList)
def list_metrics(profile_id):
    """The metrics of the customer's events with their counts (the event
    list's filter choices)."""
    return {"items": history.event_metrics(_profile(profile_id))}


# --- bulk ----------------------------------------------------------------------------


@bp.post("/orders/bulk")
@require("commerce.import")
@bp.arguments(inputs.BulkOrdersIn)
@bp.response(200, CommerceBulkResult)
def bulk_orders(body):
    """Store or update up to 200 orders of one ``source``, each saying who
    its customer is (found by the platform's customer id, then a verified
    email or phone; a new profile otherwise). The whole request is refused
    (422, per-field messages under ``items.<n>``) when an item is invalid."""
    return _bulk_answer(commerce_service.upsert_orders(body["source"], body["items"]))


@bp.post("/events/bulk")
@require("commerce.import")
@bp.arguments(inputs.BulkEventsIn)
@bp.response(200, CommerceBulkResult)
def bulk_events(body):
    """Store up to 500 events of one ``source``, each once."""
    return _bulk_answer(commerce_service.upsert_events(body["source"], body["items"]))


# --- one order and its operations -----------------------------------------------------


@bp.get(f"/orders/<{ID}:order_id>")
@require("inbox")
@bp.response(200, OrderSchema)
def get_order(order_id):
    """One stored order with the operations agents can do now."""
    return with_operations([_order(order_id)])[0]


@bp.post(f"/orders/<{ID}:order_id>/edit-quantity")
@require("orders.edit")
@bp.arguments(EditQuantityBody)
@bp.response(200, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The shop refused (its own message), or offers no editing")
def edit_quantity(body, order_id):
    """Change one line's quantity at the shop (which sends the customer an
    updated invoice); answers the order as the shop reports it afterwards."""
    return _operate(
        _order(order_id),
        EDIT_QUANTITY,
        body.get("ticket_id"),
        line_external_id=body["line_id"],
        quantity=body["quantity"],
    )


@bp.post(f"/orders/<{ID}:order_id>/cancel")
@require("orders.edit")
@bp.arguments(CancelBody)
@bp.response(200, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The shop refused (its own message), or offers no cancelling")
def cancel_order(body, order_id):
    """Cancel the order at the shop, with the refund / restock / notify choices."""
    ticket_id = body.pop("ticket_id", None)
    return _operate(_order(order_id), CANCEL, ticket_id, **body)


# --- saved event filters -----------------------------------------------------------------


@bp.get("/event-views")
@require("inbox")
@bp.response(200, EventViewList)
def list_event_views():
    """Your saved event filters, by name."""
    return {"items": event_views.list_views(current_agent())}


@bp.post("/event-views")
@require("inbox")
@bp.arguments(EventViewCreate)
@bp.response(201, EventViewSchema)
@bp.alt_response(409, response="CONFLICT", description="A view of yours has this name already")
def create_event_view(body):
    """Save a metric filter of event lists under a name (yours only)."""
    return event_views.create_view(current_agent(), body["name"], body["metric"])


@bp.delete(f"/event-views/<{ID}:event_view_id>")
@require("inbox")
@bp.response(204)
def delete_event_view(event_view_id):
    """Delete one of your saved event filters."""
    agent = current_agent()
    event_views.delete_view(agent, event_views.get_view(agent, event_view_id))
    return None
