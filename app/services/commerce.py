"""Orders and customer events from commerce providers and the import API
(interfaces.md §3), and the order operations agents start from a ticket.

Upserts are idempotent on ``(source, external_id)``, also under concurrency:
a batch takes a PostgreSQL advisory lock per order/event key (SQLite's write
transaction takes the database lock up front), reads what is stored, then
writes every row in one ``INSERT ... ON CONFLICT`` statement. The unique
index and the statement's stale-update guard are the last line of defence.
Customers are resolved through ``app.services.identities`` (the provider's
customer id first, then a verified email or phone).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import peewee
from flask_babel import gettext as _

from ..clock import now
from ..commerce import CANCEL, EDIT_QUANTITY, EventData, OrderData, ProviderRefusal, provider
from ..db import db, is_postgres, write_transaction
from ..models import Activity, Order, ProfileEvent
from ..permissions import can
from . import Conflict, Forbidden, NotFound, ServiceError, identities
from .messages import add_notice

log = logging.getLogger(__name__)

#: Rows per INSERT statement (SQLite binds at most 32766 values).
CHUNK = 200
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_MONEY = Decimal("9999999999.99")
MAX_QUANTITY = 100_000
CANCEL_REASONS = ("customer", "inventory", "fraud", "declined", "staff", "other")
#: Order columns an update rewrites (the profile and creation time stay).
UPDATED_COLUMNS = (
    "name",
    "lines",
    "subtotal",
    "total",
    "currency",
    "status",
    "financial_status",
    "fulfillment_status",
    "placed_at",
    "cancelled_at",
    "updated_at",
    "url",
    "synced_at",
)
CENT = Decimal("0.01")


class ProviderError(ServiceError):
    """The provider failed (network, unexpected answer): not the agent's fault."""

    status = 502


@dataclasses.dataclass
class Upserted:
    """One item of a batch: ``outcome`` is ``created``, ``updated``, ``stale``
    (an older version than the stored one, ignored) or ``duplicate`` (an
    event stored before)."""

    external_id: str
    outcome: str
    record: Order | ProfileEvent


# --- normalizing what providers send ------------------------------------------


def check_source(source):
    """A source name as stored: lower-case letters, digits, ``_.-``."""
    if not isinstance(source, str) or not SOURCE.match(source):
        raise ServiceError(
            _("A source is 1-64 lower-case letters, digits, dots, dashes or underscores."),
            code="invalid_source",
            field="source",
        )
    return source


def utc_naive(value, field):
    """A datetime as stored: naive UTC (aware values are converted)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ServiceError(_("%(field)s must be a date and time.", field=field), field=field)
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def money(value, field):
    """A money amount rounded to cents, within what the columns hold."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(field)s must be an amount.", field=field), field=field)
    if not amount.is_finite() or abs(amount) > MAX_MONEY:
        raise ServiceError(_("%(field)s is out of range.", field=field), field=field)
    return amount


def _text(value, limit, field, required=False):
    value = "" if value is None else str(value)
    if "\x00" in value:
        raise ServiceError(_("%(field)s contains a NUL character.", field=field), field=field)
    if required and not value.strip():
        raise ServiceError(_("%(field)s is required.", field=field), field=field)
    return value[:limit]


def _external_id(value, field="external_id"):
    return _text(value, 255, field, required=True).strip()


def _order_row(data: OrderData):
    lines = []
    for n, line in enumerate(data.lines or []):
        where = f"lines.{n}"
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
            raise ServiceError(_("A quantity is a whole number from 0 to 100000."), field=f"{where}.quantity")
        lines.append(
            {
                "external_id": _external_id(line.external_id, f"{where}.external_id"),
                "title": _text(line.title, 500, f"{where}.title"),
                "sku": _text(line.sku, 100, f"{where}.sku") or None,
                "variant": _text(line.variant, 255, f"{where}.variant") or None,
                "quantity": quantity,
                "unit_price": str(money(line.unit_price, f"{where}.unit_price")),
                "total": str(money(line.total, f"{where}.total")),
            }
        )
    currency = _text(data.currency, 10, "currency", required=True).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ServiceError(_("A currency is a three-letter code such as EUR."), field="currency")
    return {
        "external_id": _external_id(data.external_id),
        "name": _text(data.name, 64, "name"),
        "lines": lines,
        "subtotal": money(data.subtotal, "subtotal") if data.subtotal is not None else None,
        "total": money(data.total, "total"),
        "currency": currency,
        "status": _text(data.status, 32, "status", required=True).lower(),
        "financial_status": _text(data.financial_status, 32, "financial_status").lower() or None,
        "fulfillment_status": _text(data.fulfillment_status, 32, "fulfillment_status").lower() or None,
        "placed_at": utc_naive(data.placed_at, "placed_at") or now(),
        "cancelled_at": utc_naive(data.cancelled_at, "cancelled_at"),
        "updated_at": utc_naive(data.updated_at, "updated_at"),
        "url": _text(data.url, 2000, "url") or None,
    }


def _event_row(data: EventData):
    properties = data.properties or {}
    if not isinstance(properties, dict):
        raise ServiceError(_("properties must be an object."), field="properties")
    try:
        json.dumps(properties)
    except (TypeError, ValueError):
        raise ServiceError(_("properties must be plain JSON."), field="properties")
    return {
        "external_id": _external_id(data.external_id),
        "metric": _text(data.metric, 100, "metric", required=True).strip(),
        "properties": properties,
        "occurred_at": utc_naive(data.occurred_at, "occurred_at") or now(),
    }


def _customer_key(ref):
    if ref is None or not (ref.external_id or ref.email or ref.phone):
        raise ServiceError(
            _("Say who the customer is: a customer id, an email or a phone."), code="no_customer", field="customer"
        )
    return (str(ref.external_id or ""), ref.email or "", ref.phone or "", bool(ref.verified))


# --- writing ---------------------------------------------------------------------


def _lock(keys):
    """PostgreSQL advisory locks on every key, in one statement. Taken in
    hash order, so two batches sharing keys never wait on each other in a
    cycle; held until the transaction ends."""
    keys = sorted(set(keys))
    if keys and is_postgres():
        db.execute_sql(
            "SELECT pg_advisory_xact_lock(h) FROM "
            "(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered",
            (keys,),
        )


def _profiles_for(source, refs, profile):
    """``{customer key: profile id}`` for the customers of new records: one
    query for customers already linked by the provider's id, then
    ``identities.resolve`` once per customer not seen before (an unverified
    email or phone never finds another customer's profile).

    With ``profile`` the records are that customer's: the provider's ids are
    linked to it, and one that is another customer's is an
    :class:`~app.services.identities.IdentityTaken` conflict."""
    if profile is not None:
        for ext in sorted({str(ref.external_id) for ref in refs if ref is not None and ref.external_id}):
            identities.link(profile, source, ext)
        return {}
    keys = {_customer_key(ref): ref for ref in refs}
    known = identities.profile_ids(source, (key[0] for key in keys))
    resolved = {}
    for key, ref in keys.items():
        resolved[key] = known.get(key[0]) or (
            identities.resolve(
                source,
                ref.external_id or None,
                email=ref.email,
                phone=ref.phone,
                name=ref.name,
                verified_contact=ref.verified,
            ).id
        )
    return resolved


def _last_by_id(rows, items):
    """Keep one item per external id: the last one given (a batch may repeat an id)."""
    chosen = {}
    for row, item in zip(rows, items, strict=True):
        chosen[row["external_id"]] = (row, item)
    return list(chosen.values())


def _in_chunks(source, items, to_row, store_once, profile):
    """Check and normalize every item first (nothing is stored when one is
    invalid), keep the last of each external id, then store chunk by chunk,
    each in its own write transaction."""
    source = check_source(source)
    pairs = _last_by_id([to_row(item) for item in items], items)
    if profile is None:
        for _row, item in pairs:
            _customer_key(item.customer)
    results = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        for attempt in range(3):
            try:
                with write_transaction():
                    results += store_once(source, chunk, profile)
                break
            except peewee.IntegrityError:
                # A concurrent writer created a profile or identity first (the
                # unique indexes caught it); the next attempt sees it.
                if attempt == 2:
                    raise
    return results


def upsert_orders(source, items, profile=None) -> list[Upserted]:
    """Store or update many :class:`~app.commerce.OrderData` of one source;
    one :class:`Upserted` per distinct external id, in the order given.

    :param profile: store new orders for this profile instead of resolving
        their customers (an order already stored for another profile is a
        :class:`Conflict`).
    """
    return _in_chunks(source, items, _order_row, _upsert_orders_once, profile)


def _upsert_orders_once(source, pairs, profile):
    ids = [row["external_id"] for row, _item in pairs]
    _lock(f"order:{source}:{i}" for i in ids)
    existing = {
        o.external_id: o
        for o in Order.select(Order.id, Order.external_id, Order.profile, Order.updated_at).where(
            (Order.source == source) & Order.external_id.in_(ids)
        )
    }
    if profile is not None:
        for old in existing.values():
            if old.profile_id != profile.id:
                raise Conflict(
                    _("Order %(id)s belongs to another customer.", id=old.external_id),
                    code="other_customer",
                    field="external_id",
                )
    new_refs = [item.customer for row, item in pairs if row["external_id"] not in existing]
    profiles = _profiles_for(source, new_refs, profile)
    at = now()
    outcomes, values = {}, []
    for row, item in pairs:
        old = existing.get(row["external_id"])
        if old is not None and row["updated_at"] and old.updated_at and row["updated_at"] < old.updated_at:
            outcomes[row["external_id"]] = "stale"
            continue
        outcomes[row["external_id"]] = "updated" if old else "created"
        if old is not None:
            owner = old.profile_id
        else:
            owner = profile.id if profile is not None else profiles[_customer_key(item.customer)]
        values.append({**row, "source": source, "profile": owner, "created_at": at, "synced_at": at})
    if values:
        excluded = peewee.EXCLUDED
        fresh = Order.updated_at.is_null() | excluded.updated_at.is_null() | (excluded.updated_at >= Order.updated_at)
        Order.insert_many(values).on_conflict(
            conflict_target=[Order.source, Order.external_id],
            preserve=[getattr(Order, name) for name in UPDATED_COLUMNS],
            where=fresh,
        ).execute()
    stored = {o.external_id: o for o in Order.select().where((Order.source == source) & Order.external_id.in_(ids))}
    return [Upserted(i, outcomes[i], stored[i]) for i in ids]


def upsert_order(source: str, data: OrderData, profile=None) -> Order:
    """Store or update the order ``(source, data.external_id)`` and return
    it, with ``.outcome`` (see :class:`Upserted`). An update older than the
    stored one (by ``updated_at``) changes nothing."""
    result = upsert_orders(source, [data], profile=profile)[0]
    result.record.outcome = result.outcome
    return result.record


def upsert_events(source, items, profile=None) -> list[Upserted]:
    """Store many :class:`~app.commerce.EventData` of one source, each once;
    one :class:`Upserted` per distinct external id, in the order given.
    Events never change: a repeated id is a ``duplicate``.

    :param profile: store new events for this profile instead of resolving
        their customers."""
    return _in_chunks(source, items, _event_row, _upsert_events_once, profile)


def _upsert_events_once(source, pairs, profile):
    ids = [row["external_id"] for row, _item in pairs]
    _lock(f"event:{source}:{i}" for i in ids)
    seen = {
        e.external_id
        for e in ProfileEvent.select(ProfileEvent.external_id).where(
            (ProfileEvent.source == source) & ProfileEvent.external_id.in_(ids)
        )
    }
    new = [(row, item) for row, item in pairs if row["external_id"] not in seen]
    profiles = _profiles_for(source, [item.customer for _row, item in new], profile)
    at = now()
    values = [
        {
            **row,
            "source": source,
            "profile": profile.id if profile is not None else profiles[_customer_key(item.customer)],
            "created_at": at,
        }
        for row, item in new
    ]
    if values:
        ProfileEvent.insert_many(values).on_conflict_ignore().execute()
    stored = {
        e.external_id: e
        for e in ProfileEvent.select().where((ProfileEvent.source == source) & ProfileEvent.external_id.in_(ids))
    }
    return [Upserted(i, "duplicate" if i in seen else "created", stored[i]) for i in ids]


def upsert_event(source: str, data: EventData, profile=None) -> ProfileEvent:
    """Store the event ``(source, data.external_id)`` once and return it,
    with ``.outcome`` (``created`` or ``duplicate``)."""
    result = upsert_events(source, [data], profile=profile)[0]
    result.record.outcome = result.outcome
    return result.record


# --- order operations ------------------------------------------------------------


def order_line(order, line_external_id):
    """The stored line (a dict) of ``order`` with this id, or NotFound."""
    for line in order.lines or []:
        if line.get("external_id") == line_external_id:
            return line
    raise NotFound(
        _("Order %(order)s has no line %(line)s.", order=order.display_name, line=line_external_id),
        code="no_such_line",
        field="line_id",
    )


def order_operation(order, operation, actor, ticket=None, **params):
    """Run ``operation`` (``edit_quantity`` with ``line_external_id`` and
    ``quantity``; ``cancel`` with ``reason``, ``refund``, ``restock``,
    ``notify``) at the order's provider, store the order it returns, and,
    when a ticket is given, write an Activity and a thread notice there.

    Raises :class:`~app.services.Forbidden` without ``orders.edit``,
    :class:`Conflict` when the provider is off or does not offer the
    operation on this order, :class:`~app.commerce.ProviderRefusal`
    unchanged when the provider says no, :class:`ProviderError` when it fails.
    """
    if not can(actor, "orders.edit"):
        raise Forbidden(_("Your role does not allow changing orders."))
    shop = provider(order.source)
    if shop is None:
        raise Conflict(
            _(
                "The shop of order %(order)s (%(source)s) is not connected.",
                order=order.display_name,
                source=order.source,
            ),
            code="provider_unavailable",
        )
    if operation not in shop.operations(order):
        raise Conflict(
            _(
                "%(shop)s does not allow this on order %(order)s.",
                shop=shop.label or shop.slug,
                order=order.display_name,
            ),
            code="operation_unavailable",
        )
    if operation == EDIT_QUANTITY:
        line = order_line(order, params.get("line_external_id"))
        quantity = params.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
            raise ServiceError(_("A quantity is a whole number from 0 to 100000."), field="quantity")
        if quantity == line["quantity"]:
            raise ServiceError(_("The line already has this quantity."), code="unchanged", field="quantity")
        data = _call(shop.edit_line_quantity, order, line["external_id"], quantity, actor)
        notice = _(
            "Order %(order)s: quantity of %(title)s changed %(old)d → %(new)d by %(name)s",
            order=order.display_name,
            title=line["title"],
            old=line["quantity"],
            new=quantity,
            name=actor.name,
        )
        details = {"line_id": line["external_id"], "title": line["title"], "old": line["quantity"], "new": quantity}
        action = "order_quantity_changed"
    elif operation == CANCEL:
        reason = params.get("reason") or "other"
        if reason not in CANCEL_REASONS:
            raise ServiceError(_("Choose a reason for the cancellation."), field="reason")
        choices = {key: bool(params.get(key)) for key in ("refund", "restock", "notify")}
        data = _call(shop.cancel, order, actor, reason, choices["refund"], choices["restock"], choices["notify"])
        notice = _("Order %(order)s cancelled by %(name)s", order=order.display_name, name=actor.name)
        details = {"reason": reason, **choices}
        action = "order_cancelled"
    else:
        raise ServiceError(_("Unknown order operation."), field="operation")
    if not isinstance(data, OrderData) or str(data.external_id) != order.external_id:
        log.error("provider %s answered %s on order %s with %r", order.source, operation, order.id, data)
        raise ProviderError(_("The shop gave an unexpected answer."), code="provider_error")
    stored = upsert_order(order.source, data, profile=order.profile)
    if ticket is not None:
        details = {"order_id": stored.id, "order": stored.display_name, "source": stored.source, **details}
        with write_transaction():
            Activity.create(ticket=ticket, actor=actor, action=action, data=details, created_at=now())
            add_notice(ticket, notice, meta={"commerce": details})
    return stored


def _call(method, *args):
    try:
        return method(*args)
    except ProviderRefusal:
        raise
    except Exception:
        log.exception("commerce provider call %s failed", getattr(method, "__qualname__", method))
        raise ProviderError(_("The shop could not be reached. Try again later."), code="provider_error")
