"""Benchmark: the auto-close sweep at scale (issue 8).

Builds TOTAL tickets set-based (``generate_series`` on PostgreSQL, a
recursive CTE on SQLite): 60 % closed, 20 % open without a clock, 20 % open
with an armed but not yet due clock. For each DUE count it makes that many
armed tickets (spread evenly over the table) due, runs the real sweep
(guarded close, notices, audit rows, events after commit) and times it, then
restores them. "of which closing" is the sweep without its after-commit
events (the hooks and bus publishes per closed ticket, and what other
plugins do in them). The point: the cost follows the due tickets, not the total.

Usage::

    python bench/sweep.py --db postgresql://postgres@127.0.0.1:5432/helpline_bench_rules \\
        --total 100000 1000000 --due 1000 10000
    python bench/sweep.py --db sqlite:////tmp/helpline-bench-sweep.sqlite3 --total 100000 1000000 --due 1000 10000

Tasks that the sweep's events enqueue (the reports plugin's per-ticket
facts) go to a real queue (``--huey``; by default a SQLite queue file
beside a SQLite database, Redis with PostgreSQL) and are flushed unrun:
a worker does them in a real deployment, after the sweep.
The database is wiped first (schema dropped on PostgreSQL, file removed on
SQLite): never point it at real data.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app
from app.clock import utcnow
from app.db import connection, db, is_postgres


def fresh_app(url, huey_url):
    """An app on an emptied, migrated database, queueing tasks as a real
    deployment does (``huey_url``), not running them inline: the sweep's
    events enqueue work for other plugins (the reports' facts), which a
    worker does later, so it is not the sweep's time."""
    from app.testing import database

    if url.startswith("postgres"):
        database.ensure_postgres_database(url)
        database.reset_postgres_schema(url)
    else:
        path = url.split(":///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    if huey_url.startswith("sqlite:///"):
        path = huey_url[len("sqlite:///") :]
        if os.path.exists(path):
            os.remove(path)
    app = create_app({"DATABASE_URL": url, "HUEY_URL": huey_url, "SECRET_KEY": "bench", "STRICT_PLUGINS": True})
    app.extensions["helpline.huey"].flush()
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].migrate()
    return app


def ts(value):
    """Datetimes as both backends store them."""
    return value.replace(microsecond=0).isoformat(" ")


def generate(total, now):
    from app.models import Profile

    profile = Profile.create(name="Bench customer", email="bench@example.net")
    params = {
        "profile": profile.id,
        "t0": ts(now - dt.timedelta(days=30)),
        "armed": ts(now - dt.timedelta(hours=1)),
        "total": total,
    }
    columns = (
        "channel, thread_key, profile_id, status, subject, created_at, updated_at, reopen_count, "
        "last_message_preview, awaiting_customer_since, closed_at, closed_reason"
    )
    select = (
        "SELECT 'email', 'bench-' || {g}, {p}, "
        "CASE WHEN {g} % 10 < 6 THEN 'closed' ELSE 'open' END, '', {t0}, {t0}, 0, '', "
        "CASE WHEN {g} % 10 >= 8 THEN {armed} ELSE NULL END, "
        "CASE WHEN {g} % 10 < 6 THEN {t0} ELSE NULL END, "
        "CASE WHEN {g} % 10 < 6 THEN 'agent' ELSE NULL END"
    )
    with db.atomic():
        if is_postgres():
            sql = (
                f"INSERT INTO ticket ({columns}) "
                + select.format(g="g", p="%(profile)s", t0="%(t0)s::timestamp", armed="%(armed)s::timestamp").replace(
                    " % 10", " %% 10"
                )
                + " FROM generate_series(1, %(total)s) AS g"
            )
            db.execute_sql(sql, params)
        else:
            sql = (
                f"WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :total) "
                f"INSERT INTO ticket ({columns}) "
                + select.format(g="g", p=":profile", t0=":t0", armed=":armed")
                + " FROM seq"
            )
            db.connection().execute(sql, params)
    db.execute_sql("ANALYZE ticket" if is_postgres() else "ANALYZE")


def make_due(total, due, now):
    """Arm ``due`` tickets three days ago, spread evenly over the ids."""
    step = total // due
    stamp = ts(now - dt.timedelta(days=3))
    placeholder = "%s" if is_postgres() else "?"
    cast = "::timestamp" if is_postgres() else ""
    modulo = "%%" if is_postgres() else "%"
    cursor = db.execute_sql(
        f"UPDATE ticket SET awaiting_customer_since = {placeholder}{cast} "
        f"WHERE id {modulo} {placeholder} = 8 AND awaiting_customer_since IS NOT NULL",
        (stamp, step),
    )
    return cursor.rowcount


def restore(now):
    """Undo a sweep: reopen its tickets with a fresh clock, drop its rows."""
    placeholder = "%s" if is_postgres() else "?"
    cast = "::timestamp" if is_postgres() else ""
    with db.atomic():
        db.execute_sql(
            f"UPDATE ticket SET status = 'open', closed_at = NULL, closed_reason = NULL, "
            f"awaiting_customer_since = {placeholder}{cast} WHERE closed_reason = 'inactivity'",
            (ts(now - dt.timedelta(hours=1)),),
        )
        db.execute_sql("DELETE FROM message WHERE kind = 'notice'")
        db.execute_sql("DELETE FROM activity")


def explain_due_query():
    from app.models import Ticket
    from plugins.autoclose.sweep import due_condition

    now = utcnow()
    query = (
        Ticket.select(Ticket.awaiting_customer_since, Ticket.id)
        .where(due_condition(now - dt.timedelta(days=2), now - dt.timedelta(minutes=5)))
        .order_by(Ticket.awaiting_customer_since, Ticket.id)
        .limit(500)
    )
    sql, params = query.sql()
    prefix = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    return [" ".join(str(c) for c in row) for row in db.execute_sql(prefix + sql, params).fetchall()]


@contextlib.contextmanager
def deferred_events():
    """Hold the sweep's after-commit callbacks (its events: hooks, bus
    publishes, the tasks other plugins enqueue) until ``run_events()``, so
    the closing itself (select, guarded update, notice and activity
    inserts, commits) is timed apart from them. The callbacks run exactly
    as they would have, just later."""
    from plugins.autoclose import sweep as module

    real, held = module.after_commit, []
    module.after_commit = held.append

    def run_events():
        while held:
            real(held.pop(0))  # no transaction is open: runs now

    try:
        yield run_events
    finally:
        module.after_commit = real


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--total", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--huey",
        help="task queue URL (default: a SQLite queue beside a SQLite database, Redis db 0 with PostgreSQL)",
    )
    args = parser.parse_args(argv)
    huey_url = args.huey or (
        "redis://127.0.0.1:6379/0"
        if args.db.startswith("postgres")
        else args.db.replace(".sqlite3", "") + "-huey.sqlite3"
    )
    rows = []
    for total in args.total:
        app = fresh_app(args.db, huey_url)
        with app.app_context(), connection():
            from plugins.autoclose.sweep import sweep

            plugins = app.extensions["helpline.plugins"]
            plugins.set_enabled("autoclose", True)
            plugins.set_settings("autoclose", {"inactivity_days": 2})
            now = utcnow()
            started = time.perf_counter()
            generate(total, now)
            built = time.perf_counter() - started
            print(f"# {total:,} tickets generated in {built:.1f}s", flush=True)
            print("# due query plan:", *explain_due_query(), sep="\n#   ", flush=True)
            for due in args.due:
                made = make_due(total, due, now)
                started, cpu = time.perf_counter(), time.process_time()
                with deferred_events() as run_events:
                    closed = sweep()
                    closing, closing_cpu = time.perf_counter() - started, time.process_time() - cpu
                    run_events()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                assert len(closed) == made, (len(closed), made)
                started = time.perf_counter()
                assert sweep() == []
                idle = time.perf_counter() - started
                rows.append((("PostgreSQL" if is_postgres() else "SQLite"), total, made, elapsed, closing, idle))
                print(
                    f"| {rows[-1][0]} | {total:,} | {made:,} | {elapsed:.2f} s | {closing:.2f} s | "
                    f"{elapsed / made * 1000:.2f} ms | {idle * 1000:.1f} ms |",
                    f"(this process's CPU: {cpu:.2f} s, {closing_cpu:.2f} s of it closing; "
                    f"load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                restore(now)
                app.extensions["helpline.huey"].flush()  # nobody consumes the queued tasks here
        app.extensions["helpline.db"].close()
    print("\n| backend | tickets | due | sweep | of which closing | per closed ticket | sweep with nothing due |")
    print("|---|---|---|---|---|---|---|")
    for backend, total, made, elapsed, closing, idle in rows:
        print(
            f"| {backend} | {total:,} | {made:,} | {elapsed:.2f} s | {closing:.2f} s | "
            f"{elapsed / made * 1000:.2f} ms | {idle * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    main()
