"""Benchmark: a full predictive fit run at scale (issue 14).

Simulates CUSTOMERS customers from a BG/NBD purchase process with gamma
spend (about ten orders each, so about a million orders over two years),
loads them into a fresh database, then times ``refit()`` in a fresh child
process: the database aggregation, both model fits, scoring, writing the
score rows, the atomic swap and pruning, each part on its own. It runs the
fit twice: the first on an empty scores table, the second as every night
after the first (the previous run's scores are pruned).

Peak memory: the child's peak resident set size (``VmHWM``, which unlike
``ru_maxrss`` is not inherited from the parent) after start-up and after the
fits, and a third run under ``tracemalloc`` for the peak of what Python and
numpy allocated during one fit.

Usage::

    python bench/predictive.py                                  # scratch SQLite file
    python bench/predictive.py --database-url postgresql://postgres@127.0.0.1:5432/helpline_bench_predictive

The database is wiped first: never point it at real data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

AS_OF = dt.datetime(2026, 1, 5, 23, 0, 0)
HISTORY_DAYS = 730


def simulate(customers, seed=14):
    """``(profile index, day offset, total)`` arrays for a BG/NBD population:
    first purchases spread over the history, rate gamma(1.2, 1/24 days),
    dropout beta(1, 10), spend gamma(4, ν) with ν gamma across customers (mean order about 40)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = rng.integers(0, HISTORY_DAYS, customers)
    rate = rng.gamma(1.2, 1 / 24.0, customers)
    dropout = rng.beta(1.0, 10.0, customers)
    nu = rng.gamma(6.0, 1 / 0.5, customers)
    who, when = [np.arange(customers)], [start.astype(float)]
    t = start.astype(float)
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1 / rate[idx])
        bought = idx[t[idx] <= HISTORY_DAYS]
        alive[:] = False
        alive[bought] = rng.random(bought.size) >= dropout[bought]
        who.append(bought)
        when.append(t[bought].copy())
    who, when = np.concatenate(who), np.concatenate(when)
    totals = np.round(rng.gamma(4.0, 1 / nu[who]) * 100, 2)
    return who, when, totals


def load(url, customers):
    """A fresh migrated database holding the simulated customers and orders."""
    from app.db import connection, db, is_postgres
    from bench.sweep import fresh_app

    app = fresh_app(url)
    who, when, totals = simulate(customers)
    begin = AS_OF - dt.timedelta(days=HISTORY_DAYS)
    stamp = "2026-01-05 00:00:00"
    with app.app_context(), connection():
        profiles = [(f"Customer {i}", "{}", stamp, stamp) for i in range(customers)]
        orders = [
            (
                int(w) + 1,
                f"B{n}",
                float(total),
                "USD",
                "fulfilled",
                "[]",
                (begin + dt.timedelta(days=float(d))).isoformat(" "),
            )
            for n, (w, d, total) in enumerate(zip(who, when, totals))
        ]
        if is_postgres():
            with db.atomic():
                cursor = db.cursor()
                with cursor.copy("COPY profile (name, external_ids, created_at, updated_at) FROM STDIN") as copy:
                    for row in profiles:
                        copy.write_row(row)
                columns = "profile_id, external_id, total, currency, status, items, placed_at"
                with cursor.copy(f'COPY "order" ({columns}) FROM STDIN') as copy:
                    for row in orders:
                        copy.write_row(row)
            db.execute_sql('ANALYZE "order"')
        else:
            with db.atomic():
                cursor = db.cursor()
                cursor.executemany(
                    "INSERT INTO profile (name, external_ids, created_at, updated_at) VALUES (?, ?, ?, ?)", profiles
                )
                cursor.executemany(
                    'INSERT INTO "order" (profile_id, external_id, total, currency, status, items, placed_at) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    orders,
                )
            db.execute_sql("ANALYZE")
    return len(orders)


def peak_rss_mib():
    """This process's peak resident set size (Linux ``VmHWM``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def split_parts():
    """Wall and CPU seconds of the database aggregation alone, and of the
    numerical part alone (both fits, scoring, goodness of fit)."""
    import numpy as np

    from plugins.predictive import bgnbd, gamma_gamma, history, scoring

    parts = {}
    began, cpu = time.perf_counter(), time.process_time()
    hist = history.load(AS_OF)
    parts["aggregate"] = (time.perf_counter() - began, time.process_time() - cpu)
    began, cpu = time.perf_counter(), time.process_time()
    bg = bgnbd.fit(hist.x, hist.t_x, hist.T).params
    repeat = (hist.x > 0) & (hist.repeat_mean_value > 0)
    gg = gamma_gamma.fit(hist.x[repeat], hist.repeat_mean_value[repeat]).params
    scoring.score(hist, bg, gg, 12, 0.01)
    scoring.repeat_purchase_check(hist, bg)
    scoring.spend_check(hist, gg)
    parts["models"] = (time.perf_counter() - began, time.process_time() - cpu)
    return {name: [round(v, 3) for v in values] for name, values in parts.items()} | {"n": int(np.size(hist.x))}


def measure(url):
    """In this (fresh) process: two timed fits, then one under tracemalloc."""
    from app import create_app
    from app.clock import FrozenClock
    from app.db import connection
    from plugins.predictive.refit import refit

    app = create_app(
        {
            "DATABASE_URL": url,
            "HUEY_IMMEDIATE": True,
            "SECRET_KEY": "bench",
            "STRICT_PLUGINS": True,
            "CLOCK": FrozenClock(AS_OF),
        }
    )
    results = {"rss_before_mib": peak_rss_mib()}
    with app.app_context(), connection():
        for name in ("first", "second"):
            began, cpu = time.perf_counter(), time.process_time()
            run = refit()
            results[name] = {
                "wall_s": round(time.perf_counter() - began, 3),
                "cpu_s": round(time.process_time() - cpu, 3),
                "state": run.state,
                "customers": run.customers,
                "orders": run.orders,
                "timings": run.timings,
                "bgnbd": {k: round(run.parameters["bgnbd"][k], 4) for k in ("r", "alpha", "a", "b")},
            }
        results["parts"] = split_parts()
        results["rss_after_mib"] = peak_rss_mib()
        tracemalloc.start()
        refit()
        results["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(json.dumps(results))


def main():
    from plugins.predictive.refit import TIMING_ORDER

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="postgresql://... (reset!) or empty for scratch SQLite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="helpline-bench-"), "bench.sqlite3")
    if args.measure_only:
        return measure(url)
    began = time.perf_counter()
    orders = load(url, args.customers)
    print(f"database {url}")
    print(f"loaded {args.customers:,} customers, {orders:,} orders in {time.perf_counter() - began:.1f} s")
    child = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--measure-only", "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    results = json.loads(child.stdout.strip().splitlines()[-1])
    for name in ("first", "second"):
        r = results[name]
        timed = sorted(r["timings"].items(), key=lambda item: TIMING_ORDER.index(item[0]))
        parts = ", ".join(f"{k} {v:.3f}" for k, v in timed)
        print(
            f"{name} fit: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU in this process ({parts}); "
            f"{r['customers']:,} customers, {r['orders']:,} orders"
        )
        print(f"  BG/NBD (days): {r['bgnbd']}")
    parts = results["parts"]
    print(
        f"split: database aggregation {parts['aggregate'][0]:.2f} s wall / {parts['aggregate'][1]:.2f} s CPU; "
        f"fits + scoring + goodness of fit {parts['models'][0]:.2f} s wall / {parts['models'][1]:.2f} s CPU"
    )
    print(
        f"peak RSS {results['rss_after_mib']:.0f} MiB (after app start {results['rss_before_mib']:.0f} MiB); "
        f"tracemalloc peak during one fit {results['tracemalloc_peak_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
