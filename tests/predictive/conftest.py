"""Shared helpers for the predictive plugin's tests: order histories built
through the real tables, and the CDNOW sample's location."""

import datetime as dt
import decimal
import os
import pathlib
import random

import peewee
import pytest

from app.models import Order, Profile

REPO = pathlib.Path(__file__).resolve().parents[2]
CDNOW_FILES = ("CDNOW_sample.txt", "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture
def cdnow_dir():
    """The folder holding the CDNOW sample; a clear failure (never a skip)
    when it is missing."""
    folder = pathlib.Path(os.environ.get("HELPLINE_CDNOW_PATH") or REPO / ".cache" / "cdnow")
    if not folder.is_absolute():
        folder = REPO / folder
    missing = [name for name in CDNOW_FILES if not (folder / name).is_file()]
    if missing:
        pytest.fail(
            f"The CDNOW sample is missing from {folder} ({', '.join(missing)}). scripts/test.sh fetches it; "
            f"or run `python scripts/fetch_cdnow.py {folder}`, or set HELPLINE_CDNOW_PATH to a folder with those files."
        )
    return folder


@pytest.fixture
def orders_for(app, clock):
    """``orders_for(profile, (days_ago, value), ...)``; an order may also be
    ``(days_ago, value, status, currency)``. Days count back from the clock."""

    def add(profile, *orders):
        rows = []
        for n, order in enumerate(orders):
            days_ago, value = order[:2]
            status = order[2] if len(order) > 2 else "fulfilled"
            currency = order[3] if len(order) > 3 else "USD"
            rows.append(
                {
                    "profile": profile.id,
                    "external_id": f"T{profile.id}-{n}",
                    "total": decimal.Decimal(str(value)),
                    "currency": currency,
                    "status": status,
                    "lines": [],
                    "placed_at": clock.now() - dt.timedelta(days=days_ago),
                }
            )
        Order.insert_many(rows).execute()
        return profile

    return add


@pytest.fixture
def shoppers(app, clock):
    """``shoppers(n, seed=1)``: n customers with simulated order histories
    over the last 400 days (about half of them repeat buyers); returns
    their profiles."""

    def make(n, seed=1):
        rng = random.Random(seed)
        at = clock.now()
        made = []
        for i in range(n):
            profile = Profile.create(name=f"Shopper {seed}-{i}", email=f"shopper{seed}.{i}@example.org")
            made.append(profile)
            days_ago = rng.uniform(0, 400)
            pace, stop, typical = rng.gammavariate(1.0, 1 / 40), rng.betavariate(1.2, 4.0), rng.uniform(20, 150)
            rows = []
            while days_ago >= 0:
                rows.append(
                    {
                        "profile": profile.id,
                        "external_id": f"S{seed}-{i}-{len(rows)}",
                        "total": decimal.Decimal(str(round(typical * rng.uniform(0.6, 1.5), 2))),
                        "currency": "USD",
                        "status": "fulfilled",
                        "lines": [],
                        "placed_at": at - dt.timedelta(days=days_ago),
                    }
                )
                days_ago -= rng.expovariate(pace)
                if len(rows) > 1 and rng.random() < stop:
                    break
            for batch in peewee.chunked(rows, 200):
                Order.insert_many(batch).execute()
        return made

    return make


@pytest.fixture
def fit(app):
    """``fit()`` runs a refit now and returns the run."""
    from plugins.predictive.refit import refit

    return refit
