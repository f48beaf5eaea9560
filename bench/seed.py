"""A large, realistic data set for every benchmark, built set-based.

``seed(n)`` fills a migrated, empty database with ``n`` tickets, ``n // 3``
customers (name, email, phone), 20 agents, ``n * messages`` messages (text
drawn from an English and Spanish vocabulary, so full-text search has common
and rare words to find) and four tags on one ticket in ten. Every row is
written by ``INSERT ... SELECT`` over ``generate_series`` (PostgreSQL) or a
recursive CTE (SQLite): no Python loop per row.

On SQLite the load sets aside what every row would otherwise maintain: the
secondary indexes of the four loaded tables and the full-text, counter and
tag-copy triggers (migrations 0006, 0015, 0020). The tag rows are inserted
with their ticket's columns, the counters computed by migration 0015's
backfill, the FTS5 indexes rebuilt in one pass each, then the indexes and
triggers recreated: the database is the one the triggers would have made
(tests/test_seed.py compares the two row for row). ``--steps`` prints what
each step cost (docs/benchmarks.md, "The data set").

Shape of the data (deterministic, from the row number ``g``):

- tickets: 30 % open, 5 % snoozed, 65 % closed; channel email/sms/webchat in
  turn; one in four unassigned, the rest spread over the agents; created 30 s
  apart from 2026-01-01, updated at their last message; 2 % of the open ones
  have an armed auto-close clock;
- messages: alternating inbound (customer) and outbound (agent) replies, the
  first one inbound; ``last_inbound_message_id`` points at the real row.

Usage::

    python bench/seed.py 1000000 [--messages 5] [--steps] [--database-url postgresql://...]

Without ``--database-url`` a scratch SQLite file is created and its path
printed. The database is wiped first: never point it at real data.
"""

from __future__ import annotations

import calendar
import importlib
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BASE = "2026-01-01 00:00:00"
TAGS = ("vip", "refund", "shipping", "wholesale")
AGENTS = 20
# Common support words in English and Spanish; the row number picks them.
WORDS = (
    "order shipping refund delivery package tracking invoice payment card address return exchange size color "
    "broken damaged missing late cancel discount coupon subscription account password email phone store product "
    "warranty replacement label courier customs stock preorder gift receipt charge wrong item quality help "
    "pedido envío reembolso entrega paquete seguimiento factura pago tarjeta dirección devolución cambio talla "
    "roto dañado perdido tarde cancelar descuento cupón suscripción cuenta contraseña correo teléfono tienda "
    "producto garantía reemplazo etiqueta mensajero aduana existencias regalo recibo cargo equivocado calidad ayuda"
).split()


def _series(total):
    """A FROM clause yielding ``g`` = 1..total on the current backend."""
    from app.db import is_postgres

    if is_postgres():
        return f"generate_series(1, {int(total)}) AS s(g)"
    return (
        f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(total)}) SELECT g FROM s) AS s"
    )


def _sql(pg, sqlite):
    from app.db import is_postgres

    return pg if is_postgres() else sqlite


def _pad(expr):
    """``bench-000000042``: zero-padded keys arrive in index order, so unique
    indexes on them grow at the end instead of splitting pages everywhere."""
    return _sql(f"'bench-' || lpad(({expr})::text, 10, '0')", f"printf('bench-%010d', {expr})")


def _at(seconds_expr):
    """A timestamp ``seconds_expr`` seconds after BASE, as each backend stores
    it. On SQLite from the Unix time: the same text as ``datetime(BASE, '+N
    seconds')`` without parsing BASE and a built modifier for every row."""
    epoch = calendar.timegm(time.strptime(BASE, "%Y-%m-%d %H:%M:%S"))
    return _sql(
        f"(TIMESTAMP '{BASE}' + ({seconds_expr}) * INTERVAL '1 second')",
        f"datetime({epoch} + ({seconds_expr}), 'unixepoch')",
    )


# Row ``g`` takes the words at (g * k) % len(WORDS) for each k, which depend
# only on g % len(WORDS): the phrases are made once here and each row looks
# one up, instead of one lookup per word.
SUBJECT_WORDS = (7, 13)
TEXT_WORDS = (7, 11, 17, 29)


def _phrases(steps):
    return [" ".join(WORDS[(i * k) % len(WORDS)] for k in steps) for i in range(len(WORDS))]


# What the bulk load sets aside on SQLite and rebuilds after it: the full-text
# triggers (0006; each index is rebuilt in one pass), the counter triggers
# (0015; the counters are computed in one grouped pass, by the migration's own
# backfill) and the tag rows' copy triggers (0020; the rows are inserted with
# their ticket's columns). Any other trigger on these tables stays and fires.
LOADED = ("profile", "ticket", "message", "ticket_tag")
SET_ASIDE = (
    "ticket_fts_ai",
    "message_fts_ai",
    "profile_fts_ai",
    "tally_ticket_ai",
    "tally_ticket_tag_ai",
    "ticket_tag_copy_ai",
)
FTS = ("ticket_fts", "message_fts", "profile_fts")
# A scratch database being filled: no rollback journal and no fsync (WAL and
# NORMAL again afterwards, as the app expects), a page cache that holds the
# whole database (the default 2 MB one sends each index's random page to the
# OS), sorts for CREATE INDEX in memory, reads through mmap.
SQLITE_LOAD_PRAGMAS = (
    "PRAGMA journal_mode = OFF",
    "PRAGMA synchronous = OFF",
    "PRAGMA cache_size = -4000000",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA mmap_size = 8000000000",
)


class _Steps:
    """Wall and CPU seconds of each step, for ``--steps``."""

    def __init__(self):
        self.rows = []

    def __call__(self, name, fn, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        self.rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return result


def _set_aside(db):
    """Drop the loaded tables' secondary indexes and the triggers of
    ``SET_ASIDE``; return ``(name, statement)`` that recreate them, indexes first."""
    names = ", ".join(f"'{t}'" for t in LOADED)
    rows = db.execute_sql(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL "
        "AND (type = 'index' OR (type = 'trigger' AND name IN (" + ", ".join(f"'{t}'" for t in SET_ASIDE) + "))) "
        "ORDER BY type, name"
    ).fetchall()
    for kind, name, _sql in rows:
        db.execute_sql(f'DROP {kind.upper()} "{name}"')
    return [(name, sql) for _kind, name, sql in rows]


def seed(n, messages=5, bulk=True, steps=None):
    """Fill the bound, migrated, empty database with ``n`` tickets and
    ``n * messages`` messages (see the module docstring). Returns the
    seconds spent (wall time; the database server's work included).

    On SQLite, ``bulk`` (the default) loads the rows with the tables'
    secondary indexes and the derived-data triggers set aside, then derives
    the counters and full-text indexes and rebuilds the indexes and triggers
    once: the same database as with every trigger firing (``bulk=False``,
    kept for the test that says so), in less time. ``steps``: a list that
    receives ``(step, wall seconds, CPU seconds)`` per statement."""
    from app.db import db, is_postgres
    from app.models import Agent, Tag
    from app.services.agents import hash_password

    start = time.perf_counter()
    step = _Steps()
    profiles = max(1, n // 3)
    vocab = len(WORDS)
    password = hash_password("bench-password")
    mod = "%"
    cursor = db.cursor()

    def run(sql):
        cursor.execute(sql)  # no parameters: "%" is a plain operator here on both drivers

    sqlite = not is_postgres()
    if sqlite:
        for pragma in SQLITE_LOAD_PRAGMAS:
            run(pragma)
    with db.atomic():
        Agent.insert_many(
            [
                {"email": f"agent{i}@bench.example", "name": f"Agent {i}", "password_hash": password, "role": "support"}
                for i in range(AGENTS)
            ]
        ).execute()
        Tag.insert_many([{"name": t} for t in TAGS]).execute()
        rebuild = step("set aside indexes and triggers", _set_aside, db) if sqlite and bulk else []
        run("CREATE TEMPORARY TABLE bench_phrase (i INTEGER PRIMARY KEY, subject VARCHAR(80), text VARCHAR(200))")
        run(
            "INSERT INTO bench_phrase (i, subject, text) VALUES "
            + ", ".join(
                f"({i}, '{subject}', '{text}')"
                for i, (subject, text) in enumerate(zip(_phrases(SUBJECT_WORDS), _phrases(TEXT_WORDS)))
            )
        )
        step(
            "profile",
            run,
            "INSERT INTO profile (name, email, phone, created_at, updated_at) "
            f"SELECT 'Customer ' || g, 'c' || g || '@example.net', '+1555' || "
            f"{_sql('lpad(g::text, 7, ' + repr('0') + ')', 'printf(' + repr('%07d') + ', g)')}, {_at('g')}, {_at('g')} "
            f"FROM {_series(profiles)}",
        )
        last = f"g * {messages}"
        status = f"CASE WHEN g {mod} 20 < 6 THEN 'open' WHEN g {mod} 20 = 6 THEN 'snoozed' ELSE 'closed' END"
        step(
            "ticket",
            run,
            "INSERT INTO ticket (channel, thread_key, profile_id, status, assignee_id, subject, created_at, "
            "updated_at, snoozed_until, closed_at, closed_reason, awaiting_customer_since, reopen_count, "
            "last_message_preview, last_inbound_message_id, last_customer_message_at) "
            f"SELECT CASE g {mod} 3 WHEN 0 THEN 'email' WHEN 1 THEN 'sms' ELSE 'webchat' END, {_pad('g')}, "
            f"1 + (g {mod} {profiles}), {status}, "
            f"CASE WHEN g {mod} 4 = 0 THEN NULL ELSE 1 + ((g / 3) {mod} {AGENTS}) END, "
            f"(SELECT subject FROM bench_phrase WHERE i = g {mod} {vocab}), "
            f"{_at('g * 30')}, {_at(f'g * 30 + {messages * 60}')}, "
            f"CASE WHEN g {mod} 20 = 6 THEN {_at('g * 30 + 86400 * 400')} ELSE NULL END, "
            f"CASE WHEN g {mod} 20 >= 7 THEN {_at(f'g * 30 + {messages * 60}')} ELSE NULL END, "
            f"CASE WHEN g {mod} 20 >= 7 THEN 'agent' ELSE NULL END, "
            f"CASE WHEN g {mod} 100 = 1 THEN {_at(f'g * 30 + {messages * 60}')} ELSE NULL END, 0, "
            f"'Order ' || g, "
            # the last inbound message: odd positions (1, 3, ...) are inbound
            f"({last}) - {messages} + {messages - (0 if messages % 2 else 1)}, {_at('g * 30')} "
            f"FROM {_series(n)}",
        )
        ticket = f"((g - 1) / {messages} + 1)"
        inbound = f"(g - 1) {mod} {messages} {mod} 2 = 0"
        step(
            "message",
            run,
            "INSERT INTO message (ticket_id, channel, direction, kind, author_type, author_agent_id, text, html, "
            "attachments, external_id, delivery_state, attempts, meta, created_at) "
            f"SELECT {ticket}, CASE {ticket} {mod} 3 WHEN 0 THEN 'email' WHEN 1 THEN 'sms' ELSE 'webchat' END, "
            f"CASE WHEN {inbound} THEN 'inbound' ELSE 'outbound' END, 'message', "
            f"CASE WHEN {inbound} THEN 'customer' ELSE 'agent' END, "
            f"CASE WHEN {inbound} THEN NULL ELSE 1 + ({ticket} {mod} {AGENTS}) END, "
            f"(SELECT text FROM bench_phrase WHERE i = g {mod} {vocab}) || ' about order ' || {ticket}, "
            f"'', '[]', {_pad('g')}, CASE WHEN {inbound} THEN NULL ELSE 'sent' END, 0, '{{}}', "
            f"{_at(f'{ticket} * 30 + ((g - 1) {mod} {messages}) * 60')} "
            f"FROM {_series(n * messages)}",
        )
        # The tag rows carry their ticket's columns (0020); PostgreSQL's
        # trigger fills the same values again.
        step(
            "ticket_tag",
            run,
            "INSERT INTO ticket_tag (ticket_id, tag_id, status, assignee_id, channel, updated_at) "
            f"SELECT t.id, 1 + (g {mod} {len(TAGS)}), t.status, COALESCE(t.assignee_id, 0), t.channel, t.updated_at "
            f"FROM {_series(n // 10)} JOIN ticket t ON t.id = g * 10",
        )
        run("DROP TABLE bench_phrase")
        if rebuild:
            # What the set-aside triggers would have written, set-based.
            step("counters (0015's backfill)", importlib.import_module("migrations.0015_ticket_tally")._backfill, db)
            for fts in FTS:
                step(f"{fts} rebuild", run, f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
            for name, sql in rebuild:
                step(name, run, sql)
    if sqlite:
        run("PRAGMA journal_mode = WAL")
        run("PRAGMA synchronous = NORMAL")
    step("ANALYZE", db.execute_sql, "ANALYZE")
    if steps is not None:
        steps.extend(step.rows)
    return time.perf_counter() - start


def main():
    from bench.common import make_app, parser

    p = parser(__doc__)
    p.add_argument("tickets", type=int, nargs="?", default=1_000_000)
    p.add_argument("--messages", type=int, default=5, help="messages per ticket (default 5)")
    p.add_argument("--steps", action="store_true", help="print the wall and CPU time of each step")
    args = p.parse_args()
    logging.disable(logging.INFO)
    app, url = make_app(args.database_url)
    from app.db import connection

    cpu, steps = time.process_time(), []
    with app.app_context(), connection():
        seconds = seed(args.tickets, args.messages, steps=steps)
    cpu = time.process_time() - cpu
    if args.steps:
        for name, wall, step_cpu in steps:
            print(f"{wall:8.2f} s {step_cpu:8.2f} s CPU  {name}")
    print(
        f"seeded {args.tickets} tickets, {args.tickets * args.messages} messages in {seconds:.1f} s "
        f"({cpu:.1f} s CPU in this process; load average {os.getloadavg()[0]:.1f}): {url}"
    )


if __name__ == "__main__":
    main()
