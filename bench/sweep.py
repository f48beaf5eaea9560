"""Benchmark: the auto-close sweep at scale (issue 8).

Builds TOTAL tickets set-based (``generate_series`` on PostgreSQL, a
recursive CTE on SQLite): 60 % closed, 20 % open without a clock, 20 % open
with an armed but not yet due clock (its ``updated_at`` at the clock: the
reply that armed it touched the ticket; ``--stale-activity`` keeps the older,
impossible data with every ``updated_at`` 30 days old). For each DUE count
it makes that many armed tickets (spread evenly over the table) due, runs the real sweep
(guarded close, notices, audit rows, events after commit) and times it, then
restores them. "of which closing" is the sweep without its after-commit
events (the hooks and bus publishes per closed ticket, and what other
plugins do in them). The point: the cost follows the due tickets, not the total.

Usage::

    python bench/sweep.py --db postgresql://postgres@127.0.0.1:5432/helpline_bench_rules \\
        --total 100000 1000000 --due 1000 10000
    python bench/sweep.py --db sqlite:////tmp/helpline-bench-sweep.sqlite3 --total 100000 1000000 --due 1000 10000

Tasks that the sweep's events enqueue (the reports plugin's facts, one
task per batch of 500 closes since issue 16) go to a real queue (``--huey``; by default a SQLite queue file
beside a SQLite database, Redis with PostgreSQL) and are flushed unrun:
a worker does them in a real deployment, after the sweep.
The database is wiped first (schema dropped on PostgreSQL, file removed on
SQLite): never point it at real data.

Once the app is built the bench calls ``freeze_startup_objects()`` as every
long-lived process does (app/heap.py; ``--no-freeze`` skips it), and it
reports the sweep's CPU split into user and system time and the part spent
in Python's garbage collector. Each round of ``--due`` arms other tickets
than the round before, so no round finds its pages already cached.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app
from app.clock import utcnow
from app.db import connection, db, is_postgres
from app.heap import freeze_startup_objects


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


def generate(total, now, stale_activity=False, subject=""):
    from app.models import Profile

    profile = Profile.create(name="Bench customer", email="bench@example.net")
    params = {
        "profile": profile.id,
        "t0": ts(now - dt.timedelta(days=30)),
        "armed": ts(now - dt.timedelta(hours=1)),
        "total": total,
        "subject": subject,
    }
    columns = (
        "channel, thread_key, profile_id, status, subject, created_at, updated_at, reopen_count, "
        "last_message_preview, awaiting_customer_since, closed_at, closed_reason"
    )
    # ``subject`` with the ticket's number after it (its own word in the
    # search index), or empty as before 2026-12-03's afternoon.
    title = "CASE WHEN {s} = '' THEN '' ELSE {s} || ' ' || {g} END"
    # The reply that armed a clock touched its ticket: updated_at is never older.
    updated = "{t0}" if stale_activity else "CASE WHEN {g} % 10 >= 8 THEN {armed} ELSE {t0} END"
    select = (
        "SELECT 'email', 'bench-' || {g}, {p}, "
        "CASE WHEN {g} % 10 < 6 THEN 'closed' ELSE 'open' END, " + title + ", {t0}, " + updated + ", 0, '', "
        "CASE WHEN {g} % 10 >= 8 THEN {armed} ELSE NULL END, "
        "CASE WHEN {g} % 10 < 6 THEN {t0} ELSE NULL END, "
        "CASE WHEN {g} % 10 < 6 THEN 'agent' ELSE NULL END"
    )
    with db.atomic():
        if is_postgres():
            sql = (
                f"INSERT INTO ticket ({columns}) "
                + select.format(
                    g="g", p="%(profile)s", t0="%(t0)s::timestamp", armed="%(armed)s::timestamp", s="%(subject)s::text"
                ).replace(" % 10", " %% 10")
                + " FROM generate_series(1, %(total)s) AS g"
            )
            db.execute_sql(sql, params)
        else:
            sql = (
                f"WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :total) "
                f"INSERT INTO ticket ({columns}) "
                + select.format(g="g", p=":profile", t0=":t0", armed=":armed", s=":subject")
                + " FROM seq"
            )
            db.connection().execute(sql, params)
    db.execute_sql("ANALYZE ticket" if is_postgres() else "ANALYZE")


def make_due(total, due, now, round_=0, stale_activity=False):
    """Arm ``due`` tickets three days ago, spread evenly over the ids. Each
    round picks other tickets (armed ones have ids ending in 8 or 9), so a
    repeated sweep does not find its pages already in the caches.

    The reply that armed a clock updated its ticket, so ``updated_at`` moves
    to the clock's time as well: the due tickets' entries in the indexes on
    ``updated_at`` sit together, as in a deployment, where the tickets
    whose last activity was one period ago are the ones due now.
    ``stale_activity`` (given to :func:`generate` too) leaves every ticket's
    ``updated_at`` 30 days old, as this bench did before 2026-12-03 (a state
    no armed ticket can be in): each close then removes entries scattered
    over those indexes, about one page per ticket and index."""
    step = total // due
    offset = (8 + round_ % 2 + 10 * (round_ // 2)) % step
    stamp = ts(now - dt.timedelta(days=3))
    placeholder = "%s" if is_postgres() else "?"
    cast = "::timestamp" if is_postgres() else ""
    modulo = "%%" if is_postgres() else "%"
    touched = "" if stale_activity else f", updated_at = {placeholder}{cast}"
    cursor = db.execute_sql(
        f"UPDATE ticket SET awaiting_customer_since = {placeholder}{cast}{touched} "
        f"WHERE id {modulo} {placeholder} = {placeholder} AND awaiting_customer_since IS NOT NULL",
        (stamp, *(() if stale_activity else (stamp,)), step, offset),
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


def io_counters():
    """This process's read/write system calls and bytes so far (Linux
    ``/proc/self/io``; empty elsewhere)."""
    try:
        with open("/proc/self/io") as fh:
            return {k: int(v) for k, v in (line.split(": ") for line in fh)}
    except OSError:
        return {}


def server_cpu():
    """CPU seconds used so far by this connection's PostgreSQL server
    process, when the server runs on this machine and its ``/proc`` entry is
    readable (else None)."""
    if not is_postgres():
        return None
    try:
        pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


class CollectorTime:
    """Time spent in Python's cyclic garbage collector while counting, and
    the collections per generation (``gc.callbacks``)."""

    def __init__(self):
        self.seconds, self.counts, self._started, self.counting = 0.0, [0, 0, 0], None, False
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if not self.counting:
            return
        if phase == "start":
            self._started = time.process_time()
        elif self._started is not None:
            self.seconds += time.process_time() - self._started
            self.counts[info["generation"]] += 1
            self._started = None

    def reset(self):
        self.seconds, self.counts = 0.0, [0, 0, 0]


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
    parser.add_argument(
        "--stale-activity",
        action="store_true",
        help="every ticket's updated_at 30 days old, older than the clocks (the bench's data before 2026-12-03)",
    )
    parser.add_argument(
        "--subject",
        default="",
        help="every ticket's subject, followed by its number (default: empty; PostgreSQL indexes a subject's words)",
    )
    parser.add_argument("--profile", help="write a cProfile of each timed sweep to this file (pstats format)")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="skip freeze_startup_objects() after building the app (every long-lived process calls it)",
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
        if not args.no_freeze:
            # What a worker does once its app is built (app/heap.py).
            print(f"# {freeze_startup_objects():,} start-up objects frozen", flush=True)
        collector = CollectorTime()
        with app.app_context(), connection():
            from plugins.autoclose.sweep import sweep

            plugins = app.extensions["helpline.plugins"]
            plugins.set_enabled("autoclose", True)
            plugins.set_settings("autoclose", {"inactivity_days": 2})
            now = utcnow()
            started = time.perf_counter()
            generate(total, now, args.stale_activity, args.subject)
            built = time.perf_counter() - started
            print(f"# {total:,} tickets generated in {built:.1f}s", flush=True)
            print("# due query plan:", *explain_due_query(), sep="\n#   ", flush=True)
            for round_, due in enumerate(args.due):
                made = make_due(total, due, now, round_, args.stale_activity)
                profiler = cProfile.Profile() if args.profile else contextlib.nullcontext()
                collector.reset()
                collector.counting = True
                server = server_cpu()
                started, cpu, times, io = time.perf_counter(), time.process_time(), os.times(), io_counters()
                with profiler, deferred_events() as run_events:
                    closed = sweep()
                    closing, closing_cpu = time.perf_counter() - started, time.process_time() - cpu
                    run_events()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                collector.counting = False
                user, system = (a - b for a, b in zip(os.times()[:2], times[:2]))
                io = {k: v - io[k] for k, v in io_counters().items()} if not is_postgres() else {}
                server = server_cpu() - server if server is not None else None
                if args.profile:
                    profiler.dump_stats(args.profile)
                assert len(closed) == made, (len(closed), made)
                started = time.perf_counter()
                assert sweep() == []
                idle = time.perf_counter() - started
                rows.append((("PostgreSQL" if is_postgres() else "SQLite"), total, made, elapsed, closing, idle))
                print(
                    f"| {rows[-1][0]} | {total:,} | {made:,} | {elapsed:.2f} s | {closing:.2f} s | "
                    f"{elapsed / made * 1000:.2f} ms | {idle * 1000:.1f} ms |",
                    f"(this process's CPU: {cpu:.2f} s (user {user:.2f} s, system {system:.2f} s), "
                    f"{closing_cpu:.2f} s of it closing, "
                    f"{collector.seconds:.2f} s in the garbage collector (collections per generation: "
                    f"{'/'.join(map(str, collector.counts))}); "
                    + (
                        f"{io['syscr']:,} reads of {io['rchar'] / 1e6:.0f} MB and {io['syscw']:,} writes of "
                        f"{io['wchar'] / 1e6:.0f} MB; "
                        if io
                        else ""
                    )
                    + (f"PostgreSQL server process: {server:.2f} s of CPU; " if server is not None else "")
                    + f"load average {os.getloadavg()[0]:.1f})",
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
