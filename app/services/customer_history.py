"""What a customer bought and did, as stored: the overview figures, recent
orders and events (keyset pages on indexed orderings), the metrics of their
events, and which order operations each stored order offers. Reads only:
nothing here calls a commerce provider."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from decimal import ROUND_HALF_UP, Decimal

import peewee
from flask_babel import gettext as _

from ..commerce import provider
from ..models import Order, ProfileEvent, Ticket
from . import ServiceError

log = logging.getLogger(__name__)

MAX_LIMIT = 100
#: Statuses whose totals do not count as money spent.
NOT_SPENT = ("cancelled", "voided", "refunded")


def summary(profile) -> dict:
    """``{orders_count, total_spent: [{currency, amount}], events_count,
    tickets_count, last_order_at}``. Total spent sums orders that are not
    cancelled (or voided/refunded), per currency. Four indexed queries."""
    spent = (
        Order.select(Order.currency, peewee.fn.SUM(Order.total).alias("amount"))
        .where((Order.profile == profile.id) & Order.status.not_in(NOT_SPENT))
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    orders = Order.select(peewee.fn.COUNT(Order.id), peewee.fn.MAX(Order.placed_at)).where(Order.profile == profile.id)
    count, last = orders.scalar(as_tuple=True)
    return {
        "orders_count": count or 0,
        # SQLite sums NUMERIC columns as floats: back to exact cents.
        "total_spent": [{"currency": row.currency, "amount": _cents(row.amount)} for row in spent],
        "events_count": ProfileEvent.select().where(ProfileEvent.profile == profile.id).count(),
        "tickets_count": Ticket.select().where(Ticket.profile == profile.id).count(),
        "last_order_at": last,
    }


def _cents(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _encode(kind, at, row_id):
    raw = json.dumps({"k": kind, "t": at.isoformat(), "i": row_id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(kind, cursor):
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw["k"] != kind:
            raise ValueError
        return dt.datetime.fromisoformat(raw["t"]), int(raw["i"])
    except (ValueError, KeyError, TypeError):
        raise ServiceError(_("The cursor is not valid for this list."), code="invalid_cursor", field="cursor")


def _page(query, time_field, id_field, kind, limit, cursor):
    limit = max(1, min(int(limit), MAX_LIMIT))
    if cursor:
        at, row_id = _decode(kind, cursor)
        query = query.where((time_field < at) | ((time_field == at) & (id_field < row_id)))
    rows = list(query.order_by(time_field.desc(), id_field.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = _encode(kind, getattr(last, time_field.name), last.id) if more else None
    return rows, next_cursor


def list_orders(profile, limit=20, cursor=None):
    """``(orders, next_cursor)``: the customer's orders, newest first."""
    query = Order.select().where(Order.profile == profile.id)
    return _page(query, Order.placed_at, Order.id, "orders", limit, cursor)


def list_events(profile, metric=None, limit=25, cursor=None):
    """``(events, next_cursor)``: the customer's events, newest first, of
    one metric when ``metric`` is given."""
    query = ProfileEvent.select().where(ProfileEvent.profile == profile.id)
    if metric:
        query = query.where(ProfileEvent.metric == metric)
    return _page(query, ProfileEvent.occurred_at, ProfileEvent.id, "events", limit, cursor)


def event_metrics(profile) -> list[dict]:
    """``[{metric, count}]`` of the customer's events, by name."""
    rows = (
        ProfileEvent.select(ProfileEvent.metric, peewee.fn.COUNT(ProfileEvent.id).alias("n"))
        .where(ProfileEvent.profile == profile.id)
        .group_by(ProfileEvent.metric)
        .order_by(ProfileEvent.metric)
    )
    return [{"metric": row.metric, "count": row.n} for row in rows]


def operations_for(orders) -> dict[int, list[str]]:
    """``{order id: sorted operations}`` the order's provider offers now,
    decided from the stored order (providers must not call their platform
    here). One provider instance per source; an order whose provider is off
    or unknown offers none, and a failing provider offers none (logged)."""
    instances = {}
    result = {}
    for order in orders:
        if order.source not in instances:
            instances[order.source] = provider(order.source)
        shop = instances[order.source]
        try:
            result[order.id] = sorted(shop.operations(order)) if shop is not None else []
        except Exception:
            log.exception("commerce provider %s failed to list operations", order.source)
            result[order.id] = []
    return result
