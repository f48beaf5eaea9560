"""PostgreSQL: the ticket counter trigger of 0015 asks "did any counted
column change?" as a set difference (``new_rows EXCEPT old_rows``, hashed
once) instead of an ``EXISTS`` over a join of the two transition tables.

The planner has no statistics for transition tables and, expecting an
``EXISTS`` to stop at its first row, joined them in a nested loop: when no
counted column changed (an update of ``updated_at`` alone, as bulk actions
and new messages write) it compared every pair, 4,000,000 comparisons and
about 0.8 s for a 2,000-ticket update (docs/benchmarks.md, "The counter
trigger's change test"). ``EXCEPT`` compares rows as ``IS NOT DISTINCT
FROM`` does, so a NULL assignee equals a NULL assignee, as before; a row
that changed a counted column is in the difference whatever the plan.

SQLite's row triggers (``WHEN`` on the row's own old and new values) have
no such join and are left alone.
"""

import importlib

from peewee import PostgresqlDatabase

TALLY = importlib.import_module("migrations.0015_ticket_tally")
COLUMNS = ", ".join(("id",) + TALLY.TICKET_COLUMNS)
JOINED = "IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}) THEN"
DIFFERENCE = f"IF NOT EXISTS (SELECT {COLUMNS} FROM new_rows EXCEPT SELECT {COLUMNS} FROM old_rows) THEN"


def _body(guard):
    """0015's ``tally_ticket_upd`` with its change test written as ``guard``."""
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in TALLY.TICKET_COLUMNS)
    body = TALLY._pg_functions()["tally_ticket_upd"]
    old = JOINED.format(changed=changed)
    assert body.count(old) == 1, "0015's change test is not where this migration expects it"
    return body.replace(old, guard.format(changed=changed))


def _replace(db, guard):
    db.execute_sql(
        TALLY._pg_function("tally_ticket_upd", _body(guard)).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    )


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _replace(db, DIFFERENCE)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _replace(db, JOINED)
