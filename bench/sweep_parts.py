"""Benchmark: where the auto-close sweep's closing spends its CPU, per
statement, and what an index or the counter trigger costs in it (issue 16).

Builds TOTAL tickets as ``bench/sweep.py`` does, then for each round makes
DUE of them due, runs the real sweep with its after-commit events held
(``deferred_events``: the closing only), and adds up this process's CPU
(``time.process_time()``; on SQLite the database's work is this process's)
per kind of statement (a select with its rows read): the due select, the
locking select, the guarded ``UPDATE``, the notices' and the activity's
inserts, the commits (on SQLite the WAL writes and the checkpoints); "rest"
is Python (rows, reasons, JSON) and the transactions' begin. On PostgreSQL it also reads the server process's
CPU for the whole closing.

Variants (``--variants``, run in turn, each round on other tickets):
``base``; ``no-trigger`` without the counter trigger on ticket updates
(``tally_ticket_au`` on SQLite, ``tally_ticket_upd`` on PostgreSQL; the
counters are wrong afterwards, this is a measurement); ``no-index:NAME``
without that index (dropped before the round, created again after it,
untimed); ``explain`` (PostgreSQL) prints ``EXPLAIN (ANALYZE, BUFFERS)`` of
one batch's guarded ``UPDATE`` (500 due tickets), rolled back, instead of a
sweep; ``cpu`` (PostgreSQL) closes all DUE tickets in one ``UPDATE`` as
the sweep's batches do and inserts their notices, each statement's server
CPU read from ``/proc`` (clock ticks), then rolls back and vacuums: three
times. Never point it at real data: the database is wiped first.

Usage::

    python bench/sweep_parts.py --db sqlite:////tmp/parts.sqlite3 --total 1000000 --due 10000 \\
        --variants base no-trigger base --rounds 1
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.clock import utcnow  # noqa: E402
from app.db import connection, db, is_postgres  # noqa: E402
from app.heap import freeze_startup_objects  # noqa: E402
from bench.sweep import deferred_events, fresh_app, generate, make_due, restore, server_cpu  # noqa: E402

NOTICE = "Ticket closed due to inactivity"
# The sweep's notices for a batch, as it inserts them (their text's vector computed); PostgreSQL.
NOTICES = (
    "INSERT INTO message (ticket_id, channel, direction, kind, author_type, text, html, attachments, attempts, "
    f"meta, created_at) SELECT id, channel, 'outbound', 'notice', 'system', '{NOTICE}', "
    f"'<p>{NOTICE}</p>', '[]', 0, '{{}}', %s FROM ticket WHERE id = ANY(%s)"
)


def kind(sql):
    words = sql.split()
    head = words[0].upper()
    if head == "INSERT":
        return "INSERT " + words[2].strip('"')
    if head == "SELECT":
        # The locking select joins the arming activity; the due select does not.
        return "SELECT locking" if " JOIN " in sql else "SELECT due"
    return head


class Fetched:
    """A cursor's rows read at once (so a select's stepping is timed with
    it), answering what peewee asks of a cursor."""

    def __init__(self, cursor):
        self.description, self.rowcount = cursor.description, cursor.rowcount
        self.lastrowid = getattr(cursor, "lastrowid", None)
        self.rows = iter(cursor.fetchall())

    def fetchone(self):
        return next(self.rows, None)

    def fetchall(self):
        return list(self.rows)

    def fetchmany(self, size=100):
        return [row for _, row in zip(range(size), self.rows)]

    def __iter__(self):
        return self.rows

    def close(self):
        pass


class StatementCPU:
    """CPU of each ``db.execute_sql`` call (a select's rows read with it),
    added up by kind of statement, and of the commits."""

    def __init__(self):
        self.cpu = collections.Counter()
        self.wall = collections.Counter()
        self.calls = collections.Counter()

    def _timed(self, name, real):
        def timed(*args, **kwargs):
            started, clock = time.process_time(), time.perf_counter()
            label = name or kind(args[0])
            try:
                result = real(*args, **kwargs)
                return Fetched(result) if label.startswith("SELECT") else result
            finally:
                self.cpu[label] += time.process_time() - started
                self.wall[label] += time.perf_counter() - clock
                self.calls[label] += 1

        return timed

    def __enter__(self):
        db.obj.execute_sql = self._timed(None, db.obj.execute_sql)
        db.obj.commit = self._timed("COMMIT", db.obj.commit)
        return self

    def __exit__(self, *exc):
        del db.obj.execute_sql
        del db.obj.commit


def trigger_sql(name):
    if is_postgres():
        return db.execute_sql(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal", (name,)
        ).fetchone()[0]
    return db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()[0]


def index_sql(name):
    if is_postgres():
        return db.execute_sql("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (name,)).fetchone()[0]
    return db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()[0]


def explain_update(now):
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's guarded close of its first
    batch, rolled back."""
    import peewee

    from app.models import Ticket
    from plugins.autoclose.bulk import among
    from plugins.autoclose.sweep import BATCH_SIZE, closed_fields, due_condition

    condition = due_condition(now - dt.timedelta(days=2), now - dt.timedelta(minutes=5))
    keys = list(
        Ticket.select(Ticket.awaiting_customer_since, Ticket.id)
        .where(condition)
        .order_by(Ticket.awaiting_customer_since, Ticket.id)
        .limit(BATCH_SIZE)
        .tuples()
    )
    # As the sweep's _close_batch narrows it: the batch's stretch of the clock index.
    key = peewee.Tuple(Ticket.awaiting_customer_since, Ticket.id)
    condition = condition & (key >= peewee.Tuple(*keys[0])) & (key <= peewee.Tuple(*keys[-1]))
    update = Ticket.update(**closed_fields(now, NOTICE)).where(
        among(Ticket.id, [tid for _since, tid in keys]) & condition
    )
    sql, params = update.sql()
    # And 500 notices, as the sweep inserts them (their text's vector computed).
    with db.atomic() as transaction:
        plan = [row[0] for row in db.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()]
        plan += [
            row[0]
            for row in db.execute_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + NOTICES, (now, [tid for _since, tid in keys])
            ).fetchall()
        ]
        transaction.rollback()
    return plan


def server_statement_cpu(now, reps=3):
    """Server CPU of the sweep's close and notices for every due ticket at
    once, rolled back, ``reps`` times (each on other tickets)."""
    from app.models import Ticket
    from plugins.autoclose.bulk import among
    from plugins.autoclose.sweep import closed_fields, due_condition

    condition = due_condition(now - dt.timedelta(days=2), now - dt.timedelta(minutes=5))
    ids = [tid for (tid,) in Ticket.select(Ticket.id).where(condition).tuples()]
    update = Ticket.update(**closed_fields(now, NOTICE)).where(among(Ticket.id, ids) & condition)
    sql, params = update.sql()
    with db.atomic() as transaction:
        first = server_cpu()
        db.execute_sql(sql, params)
        second = server_cpu()
        db.execute_sql(NOTICES, (now, ids))
        third = server_cpu()
        transaction.rollback()
    return len(ids), second - first, third - second


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--huey", help="task queue URL (as bench/sweep.py)")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--subject", default="", help="every ticket's subject (as bench/sweep.py)")
    parser.add_argument("--rounds", type=int, default=1, help="times through the list of variants")
    parser.add_argument("--variants", nargs="+", default=["base", "no-trigger", "base"])
    args = parser.parse_args(argv)
    huey_url = args.huey or (
        "redis://127.0.0.1:6379/0"
        if args.db.startswith("postgres")
        else args.db.replace(".sqlite3", "") + "-huey.sqlite3"
    )
    app = fresh_app(args.db, huey_url)
    freeze_startup_objects()
    with app.app_context(), connection():
        from plugins.autoclose.sweep import sweep

        plugins = app.extensions["helpline.plugins"]
        plugins.set_enabled("autoclose", True)
        plugins.set_settings("autoclose", {"inactivity_days": 2})
        now = utcnow()
        generate(args.total, now, subject=args.subject)
        print(f"# {args.total:,} tickets generated", flush=True)
        trigger = "tally_ticket_upd" if is_postgres() else "tally_ticket_au"
        round_ = 0
        for _ in range(args.rounds):
            for variant in args.variants:
                undo = None
                if variant == "cpu":
                    for _rep in range(3):
                        make_due(args.total, args.due, now, round_)
                        round_ += 1
                        n, update_cpu, insert_cpu = server_statement_cpu(now)
                        db.execute_sql(
                            "UPDATE ticket SET awaiting_customer_since = %s WHERE awaiting_customer_since < %s",
                            (now - dt.timedelta(hours=1), now - dt.timedelta(days=2)),
                        )
                        db.execute_sql("VACUUM ticket")
                        db.execute_sql("VACUUM message")
                        print(
                            f"| cpu | {n:,} | server CPU: close {update_cpu:.2f} s, notices {insert_cpu:.2f} s "
                            f"| load {os.getloadavg()[0]:.1f} |",
                            flush=True,
                        )
                    continue
                if variant == "explain":
                    make_due(args.total, args.due, now, round_)
                    round_ += 1
                    print(
                        "#   " + "\n#   ".join(line for line in explain_update(now) if "Filter:" not in line),
                        flush=True,
                    )
                    # Rolled back: nothing closed, so disarm what make_due armed.
                    db.execute_sql(
                        "UPDATE ticket SET awaiting_customer_since = %s WHERE awaiting_customer_since < %s",
                        (now - dt.timedelta(hours=1), now - dt.timedelta(days=2)),
                    )
                    continue
                if variant == "no-trigger":
                    undo = trigger_sql(trigger)
                    db.execute_sql(f"DROP TRIGGER {trigger}" + (" ON ticket" if is_postgres() else ""))
                elif variant.startswith("no-index:"):
                    undo = index_sql(variant.split(":", 1)[1])
                    db.execute_sql(f'DROP INDEX "{variant.split(":", 1)[1]}"')
                made = make_due(args.total, args.due, now, round_)
                round_ += 1
                server = server_cpu()
                with StatementCPU() as statements, deferred_events():
                    started, cpu = time.perf_counter(), time.process_time()
                    closed = sweep()
                    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                server = server_cpu() - server if server is not None else None
                assert len(closed) == made, (len(closed), made)
                parts = ", ".join(
                    f"{k} {v:.3f} s ({statements.calls[k]}, wall {statements.wall[k]:.3f} s)"
                    for k, v in sorted(statements.cpu.items(), key=str)
                )
                print(
                    f"| {variant} | {made:,} | {wall:.2f} s | {cpu:.2f} s | {parts}, rest "
                    f"{cpu - sum(statements.cpu.values()):.3f} s"
                    + (f" | server {server:.2f} s" if server is not None else "")
                    + f" | load {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )
                restore(now)
                if undo:
                    db.execute_sql(undo)
                app.extensions["helpline.huey"].flush()
    app.extensions["helpline.db"].close()


if __name__ == "__main__":
    main()
