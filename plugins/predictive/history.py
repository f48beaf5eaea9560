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


def _purchases(as_of_moment, currency=None):
    condition = (Order.status != CANCELLED) & (Order.placed_at <= as_of_moment)
    if currency is not None:
        condition &= Order.currency == currency
    return condition


def main_currency(as_of_moment):
    """The currency of most orders (ties: alphabetical), or None without orders."""
    count = peewee.fn.COUNT(Order.id)
    row = (
        Order.select(Order.currency, count.alias("n"))
        .where(_purchases(as_of_moment))
        .group_by(Order.currency)
        .order_by(count.desc(), Order.currency)
        .limit(1)
        .tuples()
        .first()
    )
    return row[0] if row else None


def load(as_of_moment: dt.datetime) -> History:
    """Aggregate every customer's orders up to ``as_of_moment``: one grouped
    query over the orders (per customer and day), ranked by day with a window
    function so the first day's value comes out of the same pass."""
    as_of = np.datetime64(as_of_moment.date(), "D")
    currency = main_currency(as_of_moment)
    if currency is None:
        return _empty(as_of)
    day = peewee.fn.date(Order.placed_at)
    per_day = (
        Order.select(
            Order.profile.alias("profile_id"),
            day.alias("day"),
            peewee.fn.SUM(Order.total).alias("amount"),
            peewee.fn.COUNT(Order.id).alias("n"),
        )
        .where(_purchases(as_of_moment, currency))
        .group_by(Order.profile, day)
        .alias("per_day")
    )
    rank = peewee.fn.ROW_NUMBER().over(partition_by=[per_day.c.profile_id], order_by=[per_day.c.day])
    ranked = peewee.Select(
        [per_day],
        [per_day.c.profile_id, per_day.c.day, per_day.c.amount, per_day.c.n, rank.alias("rank")],
    ).alias("ranked")
    first_amount = peewee.Case(None, [(ranked.c.rank == 1, ranked.c.amount)], 0)
    query = (
        peewee.Select(
            [ranked],
            [
                ranked.c.profile_id,
                peewee.fn.SUM(ranked.c.n),
                peewee.fn.COUNT(ranked.c.day),
                peewee.fn.MIN(ranked.c.day),
                peewee.fn.MAX(ranked.c.day),
                peewee.fn.SUM(ranked.c.amount),
                peewee.fn.SUM(first_amount),
            ],
        )
        .group_by(ranked.c.profile_id)
        .order_by(ranked.c.profile_id)
        .bind(Order._meta.database)
    )
    rows = Order._meta.database.execute(query).fetchall()
    if not rows:
        return _empty(as_of, currency)
    ids, orders, days, first, last, total, first_value = zip(*rows)
    return History(
        as_of=as_of,
        currency=currency,
        profile_ids=np.asarray(ids, dtype=np.int64),
        orders=np.asarray(orders, dtype=np.int64),
        purchase_days=np.asarray(days, dtype=np.int64),
        first_day=_days(first),
        last_day=_days(last),
        total_value=np.asarray(total, dtype=float),
        first_day_value=np.asarray(first_value, dtype=float),
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
