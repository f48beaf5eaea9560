"""A fit run, start to finish: aggregate order history, check eligibility,
fit BG/NBD and Gamma-Gamma, score every customer with orders, store the
scores under the new run and make it current.

The swap is atomic: scores are written under the new run id (readers keep
reading the current run meanwhile), then one transaction moves the
``is_current`` mark. Scores of other finished runs are deleted afterwards,
and only the newest ``KEEP_RUNS`` runs are kept. Two fits at once are safe:
a run never replaces a newer current run, and no run's scores are deleted
while it is still being written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time

import numpy as np

from app.plugin import db, is_postgres, now, plugin_settings, write_transaction

from . import bgnbd, gamma_gamma, history, scoring
from .models import PredictiveRun, PredictiveScore

log = logging.getLogger(__name__)

PLUGIN = "predictive"
KEEP_RUNS = 30
#: Score rows per write transaction (a short lock each on SQLite).
BATCH_ROWS = 20_000
#: A run still "running" after this long died with its process.
STALE_AFTER = dt.timedelta(hours=6)
#: The parts of a run, in order, as keys of its ``timings`` (seconds).
TIMING_ORDER = ("aggregate", "fit", "score", "write", "publish", "prune", "total")
#: Settings a run records, so its scores are explained by what it used.
RUN_SETTINGS = ("horizon_months", "monthly_discount_rate", "min_customers", "min_history_days", "min_repeat_customers")
SCORE_FIELDS = (
    PredictiveScore.run,
    PredictiveScore.profile,
    PredictiveScore.orders,
    PredictiveScore.repeat_purchases,
    PredictiveScore.first_order_on,
    PredictiveScore.last_order_on,
    PredictiveScore.historic_value,
    PredictiveScore.expected_orders,
    PredictiveScore.p_alive,
    PredictiveScore.expected_spend,
    PredictiveScore.predicted_clv,
    PredictiveScore.next_order_on,
)


class FitFailed(Exception):
    """The models could not be fitted on this data; the current run stays."""


@dataclasses.dataclass
class Eligibility:
    eligible: bool
    customers: int
    repeat_customers: int
    history_days: int


def eligibility(hist, settings):
    """Enough customers, a long enough history, and some repeat buyers
    (thresholds from the settings)."""
    customers, repeat = hist.customers, int(np.count_nonzero(hist.purchase_days > 1))
    days = hist.history_days
    eligible = (
        customers >= settings["min_customers"]
        and days >= settings["min_history_days"]
        and repeat >= settings["min_repeat_customers"]
    )
    return Eligibility(eligible, customers, repeat, days)


def _noop(stage, done=0, total=0):
    pass


def refit(progress=None):
    """Fit on every order up to now and make the result the current run.

    :param progress: optional ``progress(stage, done, total)`` callback;
        stages are ``aggregate``, ``fit``, ``score``, ``write`` (with rows
        written of total) and ``prune``.
    :return: the finished :class:`PredictiveRun` (``fitted`` or
        ``not_eligible``; ``superseded`` when a newer run finished first).
    :raises FitFailed: when the models do not converge; the run is stored
        as ``failed`` and the current run is kept.
    """
    report = progress or _noop
    settings = plugin_settings(PLUGIN)
    started = now()
    run = PredictiveRun.create(
        started_at=started, as_of=started.date(), settings={k: settings[k] for k in RUN_SETTINGS}
    )
    timings, clock = {}, time.perf_counter
    begin = mark = clock()

    def lap(name):
        nonlocal mark
        timings[name] = round(clock() - mark, 3)
        mark = clock()

    try:
        report("aggregate")
        hist = history.load(started)
        lap("aggregate")
        check = eligibility(hist, settings)
        counts = {
            "customers": check.customers,
            "repeat_customers": check.repeat_customers,
            "history_days": check.history_days,
            "orders": int(hist.orders.sum()),
            "currency": hist.currency,
        }
        if not check.eligible:
            timings["total"] = round(clock() - begin, 3)
            _publish(run, "not_eligible", timings=timings, **counts)
            _prune()
            return PredictiveRun.get_by_id(run.id)
        report("fit")
        bg_fit, gg_fit, warnings = _fit(hist)
        lap("fit")
        report("score")
        gg = gg_fit.params if gg_fit is not None else None
        scores = scoring.score(hist, bg_fit.params, gg, settings["horizon_months"], settings["monthly_discount_rate"])
        goodness = {
            "repeat_purchases": scoring.repeat_purchase_check(hist, bg_fit.params),
            "spend": scoring.spend_check(hist, gg),
            "warnings": warnings,
        }
        lap("score")
        _write_scores(run, hist, scores, report)
        lap("write")
        parameters = {"time_unit": "days", "bgnbd": _describe(bg_fit), "gamma_gamma": _describe(gg_fit)}
        _publish(run, "fitted", parameters=parameters, goodness=goodness, timings=timings, **counts)
        lap("publish")
        report("prune")
        _prune()
        lap("prune")
        timings["total"] = round(clock() - begin, 3)
        PredictiveRun.update(timings=timings).where(PredictiveRun.id == run.id).execute()
    except Exception as exc:
        log.exception("predictive fit run %s failed", run.id)
        PredictiveRun.update(state="failed", finished_at=now(), message=str(exc)[:2000], timings=timings).where(
            PredictiveRun.id == run.id
        ).execute()
        raise
    return PredictiveRun.get_by_id(run.id)


def _fit(hist):
    """Both models; Gamma-Gamma problems fall back to each customer's own
    mean spend with a warning, BG/NBD problems fail the run."""
    warnings = []
    bg_fit = bgnbd.fit(hist.x, hist.t_x, hist.T)
    if not bg_fit.converged:
        raise FitFailed(f"BG/NBD did not converge: {bg_fit.message}")
    if bg_fit.at_bounds:
        warnings.append(f"BG/NBD parameters at their limit (weakly identified): {', '.join(bg_fit.at_bounds)}")
    value = hist.repeat_mean_value
    repeat = (hist.x > 0) & (value > 0)
    gg_fit = None
    if np.count_nonzero(repeat) >= 3:
        gg_fit = gamma_gamma.fit(hist.x[repeat], value[repeat])
        if not gg_fit.converged:
            warnings.append(f"Gamma-Gamma did not converge ({gg_fit.message}); spend uses each customer's mean")
            gg_fit = None
        elif gg_fit.params.q <= 1:
            warnings.append("Gamma-Gamma q <= 1 (no finite mean spend); spend uses each customer's mean")
    else:
        warnings.append("Too few repeat buyers with a positive spend for Gamma-Gamma; spend uses each customer's mean")
    return bg_fit, gg_fit, warnings


def _describe(model_fit):
    if model_fit is None:
        return None
    return {
        **model_fit.params.as_dict(),
        "log_likelihood": round(model_fit.log_likelihood, 4),
        "customers": model_fit.customers,
        "iterations": model_fit.iterations,
        "converged": bool(model_fit.converged),
        "at_bounds": list(model_fit.at_bounds),
    }


def _score_rows(run, hist, scores, start, stop):
    """Rows ``start:stop`` in SCORE_FIELDS order, as plain Python values (built
    per batch, so a million customers never sit in memory as tuples at once)."""
    part = slice(start, stop)
    wait = np.nan_to_num(scores.next_order_in_days[part], nan=-1.0)
    next_order = (hist.as_of + np.ceil(wait).astype(np.int64)).astype(str).tolist()
    return list(
        zip(
            [run.id] * (stop - start),
            hist.profile_ids[part].tolist(),
            hist.orders[part].tolist(),
            hist.x[part].astype(np.int64).tolist(),
            hist.first_day[part].astype(str).tolist(),
            hist.last_day[part].astype(str).tolist(),
            np.round(hist.total_value[part], 2).tolist(),
            scores.expected_orders[part].tolist(),
            scores.p_alive[part].tolist(),
            scores.expected_spend[part].tolist(),
            scores.predicted_clv[part].tolist(),
            [day if w >= 0 else None for day, w in zip(next_order, wait.tolist())],
        )
    )


def _write_scores(run, hist, scores, report):
    """Insert the run's score rows in batches, each batch its own short
    transaction so ingest and agents never wait long on SQLite's single
    writer. Rows go straight to the driver (COPY on PostgreSQL, executemany
    on SQLite): building 100,000 rows through the ORM costs seconds."""
    total = hist.customers
    table = PredictiveScore._meta.table_name
    columns = ", ".join(field.column_name for field in SCORE_FIELDS)
    postgres = is_postgres()
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(SCORE_FIELDS))})"
    report("write", 0, total)
    for start in range(0, total, BATCH_ROWS):
        chunk = _score_rows(run, hist, scores, start, min(start + BATCH_ROWS, total))
        with write_transaction():
            cursor = db.cursor()
            if postgres:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, chunk)
        report("write", start + len(chunk), total)


def _publish(run, state, **fields):
    """Finish ``run`` and make it current in one transaction, unless a newer
    run became current meanwhile (then it is ``superseded``)."""
    with write_transaction():
        newer = PredictiveRun.select().where(PredictiveRun.is_current & (PredictiveRun.id > run.id)).exists()
        if newer:
            state = "superseded"
        else:
            PredictiveRun.update(is_current=False).where(PredictiveRun.is_current).execute()
        PredictiveRun.update(state=state, finished_at=now(), is_current=not newer, **fields).where(
            PredictiveRun.id == run.id
        ).execute()


def _prune():
    """Delete the scores of finished runs that are not current, and runs
    beyond the newest KEEP_RUNS; mark runs orphaned by a dead process."""
    with write_transaction():
        PredictiveRun.update(state="failed", message="interrupted", finished_at=now()).where(
            (PredictiveRun.state == "running") & (PredictiveRun.started_at < now() - STALE_AFTER)
        ).execute()
    finished = (PredictiveRun.state != "running") & ~PredictiveRun.is_current
    old = PredictiveRun.select(PredictiveRun.id).where(finished)
    with write_transaction():
        PredictiveScore.delete().where(PredictiveScore.run.in_(old)).execute()
    keep = [
        row[0]
        for row in PredictiveRun.select(PredictiveRun.id).order_by(PredictiveRun.id.desc()).limit(KEEP_RUNS).tuples()
    ]
    with write_transaction():
        PredictiveRun.delete().where(finished & PredictiveRun.id.not_in(keep)).execute()


def current_run():
    """The run the panel shows, or None before the first fit."""
    return PredictiveRun.select().where(PredictiveRun.is_current).first()
