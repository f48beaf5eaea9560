"""Customers' purchase histories, aggregated by the database in one pass.

A *purchase* is a day (UTC) with at least one order that is not cancelled,
in the store's main currency (the currency most orders use): several orders
on one day are one purchase, as in the papers' CDNOW data. Orders placed
after ``as_of`` are left out, so a fit as of a past day sees only what was
known then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import peewee

from app.plugin import Order

CANCELLED = "cancelled"


@dataclasses.dataclass
class History:
    """One entry per customer with at least one purchase, by profile id."""

    as_of: np.datetime64
    currency: str
    profile_ids: np.ndarray
    orders: np.ndarray
    purchase_days: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total_value: np.ndarray
    first_day_value: np.ndarray

    @property
    def customers(self):
        return int(self.profile_ids.size)

    @property
    def x(self):
        """Repeat purchases: purchase days after the first."""
        return (self.purchase_days - 1).astype(float)

    @property
    def t_x(self):
        """Days from the first purchase to the last."""
        return (self.last_day - self.first_day).astype(float)

    @property
    def T(self):  # noqa: N802  (the papers' name)
        """Days from the first purchase to ``as_of``."""
        return (self.as_of - self.first_day).astype(float)

    @property
    def repeat_mean_value(self):
        """Mean value of the repeat purchases (first day left out, as in the
        Gamma-Gamma note); 0 for customers without repeat purchases."""
        x = self.x
        repeat_value = self.total_value - self.first_day_value
        return np.divide(repeat_value, x, out=np.zeros_like(repeat_value), where=x > 0)

    @property
    def history_days(self):
        """Days from the first purchase of anyone to the last of anyone."""
        if not self.customers:
            return 0
        return int((self.last_day.max() - self.first_day.min()).astype(int))


def _purchases(model, as_of_moment):
    return (model.status != CANCELLED) & (model.placed_at <= as_of_moment)


def load(as_of_moment: dt.datetime) -> History:
    """Aggregate every customer's orders up to ``as_of_moment`` in one
    grouped pass over the orders (per customer and currency, in the order of
    the (profile, placed_at) index), plus, per group, the value of the first
    purchase day: a correlated sum over that customer's orders of that day,
    an index range of a few rows. (A window function over per-day groups
    gives the same in one statement but sorts every order: 3x slower.)"""
    as_of = np.datetime64(as_of_moment.date(), "D")
    day = peewee.fn.date(Order.placed_at)
    groups = (
        Order.select(
            Order.profile.alias("profile_id"),
            Order.currency.alias("currency"),
            peewee.fn.COUNT(Order.id).alias("orders"),
            peewee.fn.COUNT(peewee.NodeList((peewee.SQL("DISTINCT"), day))).alias("days"),
            peewee.fn.date(peewee.fn.MIN(Order.placed_at)).alias("first_day"),
            peewee.fn.date(peewee.fn.MAX(Order.placed_at)).alias("last_day"),
            peewee.fn.SUM(Order.total).alias("total"),
        )
        .where(_purchases(Order, as_of_moment))
        .group_by(Order.profile, Order.currency)
        .alias("g")
    )
    same_day = Order.alias("first_orders")
    first_value = same_day.select(peewee.fn.SUM(same_day.total)).where(
        (same_day.profile == groups.c.profile_id)
        & (same_day.currency == groups.c.currency)
        & (peewee.fn.date(same_day.placed_at) == groups.c.first_day)
        & _purchases(same_day, as_of_moment)
    )
    query = peewee.Select(
        [groups],
        [
            groups.c.profile_id,
            groups.c.currency,
            groups.c.orders,
            groups.c.days,
            groups.c.first_day,
            groups.c.last_day,
            groups.c.total,
            first_value,
        ],
    ).order_by(groups.c.profile_id)
    rows = Order._meta.database.execute(query).fetchall()
    if not rows:
        return _empty(as_of)
    ids, currencies, orders, days, first, last, total, first_value = zip(*rows)
    currencies = np.asarray(currencies)
    # The store's currency: the one most orders use (ties: alphabetical).
    names, inverse = np.unique(currencies, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=np.asarray(orders, dtype=float))
    main = int(np.argmax(counts))
    keep = inverse.ravel() == main
    return History(
        as_of=as_of,
        currency=str(names[main]),
        profile_ids=np.asarray(ids, dtype=np.int64)[keep],
        orders=np.asarray(orders, dtype=np.int64)[keep],
        purchase_days=np.asarray(days, dtype=np.int64)[keep],
        first_day=_days(first)[keep],
        last_day=_days(last)[keep],
        total_value=np.asarray(total, dtype=float)[keep],
        first_day_value=np.asarray(first_value, dtype=float)[keep],
    )


def _days(values):
    # SQLite answers 'YYYY-MM-DD' text, PostgreSQL date objects: numpy reads both.
    return np.asarray([str(v) for v in values], dtype="datetime64[D]")


def _empty(as_of, currency=""):
    none = np.zeros(0, dtype=np.int64)
    return History(
        as_of=as_of,
        currency=currency,
        profile_ids=none,
        orders=none,
        purchase_days=none,
        first_day=np.zeros(0, dtype="datetime64[D]"),
        last_day=np.zeros(0, dtype="datetime64[D]"),
        total_value=np.zeros(0),
        first_day_value=np.zeros(0),
    )
