"""Validation against the published CDNOW results.

* BG/NBD (Fader, Hardie & Lee 2005, section 5): 2,357 customers, 39-week
  calibration period ending 1997-09-30, time in weeks:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4.
* Gamma-Gamma (Fader & Hardie 2013): the 946 customers with repeat
  purchases in that period, their mean repeat-purchase value:
  p = 6.25, q = 3.74, gamma = 15.44.

The first two tests fit the published summary statistics directly; the
third loads the raw CDNOW transactions as orders into the database and runs
the plugin's real fit (aggregation by day, eligibility, both fits, storage),
so the whole pipeline reproduces the papers. The data is fetched by
scripts/test.sh (see tests/predictive/conftest.py).
"""

import datetime as dt
import decimal

import numpy as np
import peewee
import pytest

from app.models import Order, Profile
from plugins.predictive import bgnbd, gamma_gamma
from plugins.predictive.history import load
from plugins.predictive.models import PredictiveScore

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
WITHIN = 0.01
CALIBRATION_END = dt.date(1997, 9, 30)


def summary(cdnow_dir):
    return np.genfromtxt(cdnow_dir / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True)


def assert_published(found, published):
    for name, value in published.items():
        assert found[name] == pytest.approx(value, rel=WITHIN), f"{name} = {found[name]:.4f}, published {value}"


def test_bgnbd_on_the_cdnow_summary(cdnow_dir):
    data = summary(cdnow_dir)
    assert data.size == 2357
    fit = bgnbd.fit(data["x"], data["t_x"], data["T"])
    assert fit.converged
    assert_published(fit.params.as_dict(), PUBLISHED_BGNBD)
    assert fit.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.05)


def test_gamma_gamma_on_the_cdnow_repeat_buyers(cdnow_dir):
    data = summary(cdnow_dir)
    repeat = data[data["x"] > 0]
    assert repeat.size == 946
    fit = gamma_gamma.fit(repeat["x"], repeat["zbar"])
    assert fit.converged
    assert_published(fit.params.as_dict(), PUBLISHED_GAMMA_GAMMA)


def load_transactions(cdnow_dir):
    """CDNOW_sample.txt (one line per transaction: master id, sample id,
    date, CDs, dollars) as profiles and orders; returns {sample id: profile}."""
    lines = [line.split() for line in (cdnow_dir / "CDNOW_sample.txt").read_text().splitlines() if line.strip()]
    ids = sorted({int(sample_id) for _, sample_id, *_ in lines})
    for batch in peewee.chunked(ids, 500):
        Profile.insert_many([{"name": f"CDNOW {i}", "email": f"cdnow{i}@example.net"} for i in batch]).execute()
    profiles = {int(p.email[5:].split("@")[0]): p.id for p in Profile.select().where(Profile.email.startswith("cdnow"))}
    rows = [
        {
            "profile": profiles[int(sample_id)],
            "external_id": f"cdnow-{n}",
            "total": decimal.Decimal(dollars),
            "currency": "USD",
            "status": "fulfilled",
            "lines": [],
            "placed_at": dt.datetime.strptime(day, "%Y%m%d") + dt.timedelta(hours=12),
        }
        for n, (_, sample_id, day, _cds, dollars) in enumerate(lines)
    ]
    for batch in peewee.chunked(rows, 500):
        Order.insert_many(batch).execute()
    return profiles


def test_the_plugin_reproduces_the_papers_from_raw_cdnow_orders(app, clock, cdnow_dir, fit):
    profiles = load_transactions(cdnow_dir)
    # The calibration period ends with 1997-09-30; later orders are the
    # papers' holdout period and must be left out by the fit.
    clock.set(dt.datetime.combine(CALIBRATION_END, dt.time(23, 0)))
    history = load(clock.now())
    published = summary(cdnow_dir)
    assert history.customers == 2357
    by_profile = dict(zip(history.profile_ids.tolist(), range(history.customers)))
    order = [by_profile[profiles[int(i)]] for i in published["ID"]]
    # Per-day aggregation gives the papers' summary exactly (weeks = days / 7).
    assert history.x[order].tolist() == published["x"].tolist()
    assert np.allclose(history.t_x[order] / 7, published["t_x"], atol=0.005)
    assert np.allclose(history.T[order] / 7, published["T"], atol=0.005)
    repeat = published["x"] > 0
    assert np.allclose(history.repeat_mean_value[order][repeat], published["zbar"][repeat], atol=0.005)

    run = fit()
    assert run.state == "fitted" and run.is_current
    bg, gg = run.parameters["bgnbd"], run.parameters["gamma_gamma"]
    assert run.parameters["time_unit"] == "days"
    assert_published({**bg, "alpha": bg["alpha"] / 7}, PUBLISHED_BGNBD)
    assert_published(gg, PUBLISHED_GAMMA_GAMMA)
    assert (run.customers, run.repeat_customers) == (2357, 946)
    # Goodness of fit as in the paper's figure: customers by repeat purchases,
    # actual and as the published parameters expect them.
    histogram = run.goodness["repeat_purchases"]["histogram"]
    actual = np.bincount(np.minimum(published["x"].astype(int), 7), minlength=8)
    assert [row["actual"] for row in histogram] == actual.tolist()
    expected = bgnbd.expected_repeat_histogram(bgnbd.BgNbd(**PUBLISHED_BGNBD), published["T"], 8)
    assert [row["expected"] for row in histogram] == pytest.approx(expected, rel=0.01)
    assert PredictiveScore.select().where(PredictiveScore.run == run.id).count() == 2357
