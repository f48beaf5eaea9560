"""The customer's orders and events in the agent UI: the lists the overview
panel opens (pages that also load into a dialog on the ticket page), the
Edit quantity / Cancel forms of an order, and saved event filters. Views
translate HTTP to ``app.services.commerce`` / ``customer_history`` /
``event_views`` calls; they read stored data only."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..commerce import CANCEL, EDIT_QUANTITY, ProviderRefusal
from ..models import Order, Profile, Ticket
from ..services import ServiceError, event_views
from ..services import commerce as commerce_service
from ..services import customer_history as history
from .blueprint import bp
from .helpers import done, failed

ORDERS_PAGE = 10
EVENTS_PAGE = 25


@bp.app_template_filter("money")
def money(amount, currency):
    """An amount in the agent's locale, with its currency ("€1,234.50")."""
    try:
        return format_currency(amount, currency)
    except (ValueError, TypeError, ArithmeticError):
        return f"{amount} {currency}"


def _profile_or_404(profile_id):
    profile = Profile.get_or_none(Profile.id == profile_id)
    if profile is None:
        abort(404)
    return profile


def _order_or_404(order_id):
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        abort(404)
    return order


MAX_ID = 2**31 - 1


def _id(raw):
    """A row id from a form or query value, or None (never out of the columns' range)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= MAX_ID else None


def _ticket_arg(profile_id):
    """The ticket the page was opened from (``?ticket=``), when it is this
    customer's: actions are recorded there, and the page links back to it."""
    ticket_id = _id(request.values.get("ticket"))
    ticket = Ticket.get_or_none(Ticket.id == ticket_id) if ticket_id else None
    return ticket if ticket is not None and ticket.profile_id == profile_id else None


def _render(template, **context):
    """A whole page, or only its content for the ticket page's dialog (``?partial=1``)."""
    context["partial"] = request.args.get("partial") == "1"
    return render_template(template, **context)


def _orders_url(profile_id, ticket):
    return url_for("web.customer_orders", profile_id=profile_id, ticket=ticket.id if ticket else None)


def _events_url(profile_id, ticket, **params):
    return url_for("web.customer_events", profile_id=profile_id, ticket=ticket.id if ticket else None, **params)


@bp.get("/customers/<dbid:profile_id>/orders")
@require("inbox")
def customer_orders(profile_id):
    """The customer's orders, newest first, with lines, totals, states and
    the Edit / Cancel menu where the shop offers them."""
    profile = _profile_or_404(profile_id)
    try:
        orders, next_cursor = history.list_orders(profile, limit=ORDERS_PAGE, cursor=request.args.get("cursor"))
    except ServiceError:
        abort(400)
    return _render(
        "web/customer_orders.html",
        profile=profile,
        ticket=_ticket_arg(profile.id),
        orders=orders,
        operations=history.operations_for(orders),
        next_cursor=next_cursor,
    )


class EventQuery(ma.Schema):
    metric = ma.fields.String(validate=ma.validate.Length(max=100))
    view = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    cursor = ma.fields.String(validate=ma.validate.Length(max=300))


@bp.get("/customers/<dbid:profile_id>/events")
@require("inbox")
def customer_events(profile_id):
    """The customer's events, newest first, filtered by metric (chosen, or
    from one of the agent's saved views), with the saved views to reuse."""
    profile = _profile_or_404(profile_id)
    agent = current_agent()
    try:
        query = EventQuery().load({k: v for k, v in request.args.items() if k in ("metric", "view", "cursor") and v})
    except ma.ValidationError:
        abort(400)
    view = None
    if query.get("view"):
        try:
            view = event_views.get_view(agent, query["view"])
        except ServiceError:
            abort(404)
    metric = view.metric if view else query.get("metric")
    try:
        events, next_cursor = history.list_events(profile, metric=metric, limit=EVENTS_PAGE, cursor=query.get("cursor"))
    except ServiceError:
        abort(400)
    metrics = history.event_metrics(profile)
    if metric and metric not in {m["metric"] for m in metrics}:
        metrics.append({"metric": metric, "count": 0})
    ticket = _ticket_arg(profile.id)
    return _render(
        "web/customer_events.html",
        profile=profile,
        ticket=ticket,
        events=events,
        next_cursor=next_cursor,
        metric=metric,
        metrics=metrics,
        view=view,
        saved_views=event_views.list_views(agent),
        more_url=_events_url(profile.id, ticket, metric=metric, cursor=next_cursor) if next_cursor else None,
    )


def _operation_page(order):
    """``(ticket, list url)`` for an order form: back to the customer's orders."""
    ticket = _ticket_arg(order.profile_id)
    return ticket, _orders_url(order.profile_id, ticket)


def _offered(order, operation):
    return operation in history.operations_for([order]).get(order.id, [])


@bp.get("/orders/<dbid:order_id>/edit")
@require("orders.edit")
def edit_order_form(order_id):
    """The quantity form of each line of an order."""
    order = _order_or_404(order_id)
    ticket, back = _operation_page(order)
    return _render("web/order_edit.html", order=order, ticket=ticket, back=back, offered=_offered(order, EDIT_QUANTITY))


class QuantityForm(ma.Schema):
    line_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    quantity = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=100_000))


@bp.post("/orders/<dbid:order_id>/edit")
@require("orders.edit")
def edit_order(order_id):
    """Change a line's quantity at the shop; the shop's refusal is shown as it says it."""
    order = _order_or_404(order_id)
    ticket, back = _operation_page(order)
    try:
        data = QuantityForm().load({k: request.form.get(k, "") for k in ("line_id", "quantity")})
    except ma.ValidationError:
        return failed(back, _("Enter a quantity from 0 to 100000."), field="quantity")
    return _operate(order, EDIT_QUANTITY, ticket, back, line_external_id=data["line_id"], quantity=data["quantity"])


@bp.get("/orders/<dbid:order_id>/cancel")
@require("orders.edit")
def cancel_order_form(order_id):
    """The confirmation of a cancellation, with its refund, restock and notify choices."""
    order = _order_or_404(order_id)
    ticket, back = _operation_page(order)
    return _render(
        "web/order_cancel.html",
        order=order,
        ticket=ticket,
        back=back,
        offered=_offered(order, CANCEL),
        reasons=_cancel_reasons(),
    )


def _cancel_reasons():
    return [
        ("customer", _("The customer asked")),
        ("inventory", _("Out of stock")),
        ("fraud", _("Suspected fraud")),
        ("declined", _("Payment declined")),
        ("staff", _("Staff error")),
        ("other", _("Other")),
    ]


@bp.post("/orders/<dbid:order_id>/cancel")
@require("orders.edit")
def cancel_order(order_id):
    """Cancel the order at the shop."""
    order = _order_or_404(order_id)
    ticket, back = _operation_page(order)
    reason = request.form.get("reason", "customer")
    if reason not in commerce_service.CANCEL_REASONS:
        return failed(back, _("Choose a reason for the cancellation."), field="reason")
    choices = {key: request.form.get(key) == "on" for key in ("refund", "restock", "notify")}
    return _operate(order, CANCEL, ticket, back, reason=reason, **choices)


def _operate(order, operation, ticket, back, **params):
    try:
        stored = commerce_service.order_operation(order, operation, current_agent(), ticket=ticket, **params)
    except ProviderRefusal as refusal:
        return failed(back, refusal.message, status=409, code="provider_refused")
    except ServiceError as exc:
        return failed(back, exc.message, field=exc.field, status=exc.status)
    if operation == CANCEL:
        message = _("Order %(order)s cancelled.", order=stored.display_name)
    else:
        message = _("Order %(order)s changed.", order=stored.display_name)
    return done(back, message)


@bp.post("/event-views")
@require("inbox")
def save_event_view():
    """Save the event list's metric filter under a name."""
    agent = current_agent()
    profile_id = _id(request.form.get("profile_id"))
    profile = _profile_or_404(profile_id) if profile_id else None
    ticket = _ticket_arg(profile.id) if profile else None
    metric = request.form.get("metric", "")[:100]
    back = _events_url(profile.id, ticket, metric=metric) if profile else url_for("web.index")
    try:
        view = event_views.create_view(agent, request.form.get("name", "")[:200], metric)
    except ServiceError as exc:
        return failed(back, exc.message, field=exc.field, status=exc.status)
    target = _events_url(profile.id, ticket, view=view.id) if profile else back
    return done(target, _("Saved view %(name)s.", name=view.name))


@bp.post("/event-views/<dbid:view_id>/delete")
@require("inbox")
def delete_event_view(view_id):
    """Delete one of the agent's saved event views."""
    agent = current_agent()
    profile_id = _id(request.form.get("profile_id"))
    profile = _profile_or_404(profile_id) if profile_id else None
    back = _events_url(profile.id, _ticket_arg(profile.id)) if profile else url_for("web.index")
    try:
        view = event_views.get_view(agent, view_id)
    except ServiceError as exc:
        return failed(back, exc.message, status=404)
    event_views.delete_view(agent, view)
    return done(back, _("Deleted view %(name)s.", name=view.name))
