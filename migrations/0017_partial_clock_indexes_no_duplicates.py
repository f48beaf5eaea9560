"""Fewer index entries written per closed ticket and per notice (issue 16:
the auto-close sweep, 10,000 closes among 1M tickets).

- The clock index ``ticket (awaiting_customer_since, id)`` and the snooze
  index ``ticket (snoozed_until)`` keep only armed clocks and snoozed
  tickets (partial, ``IS NOT NULL``). Every query that reads them bounds the
  column (``<= cutoff``, ``<= now``), which implies it is not null, so both
  databases still use them. A close sets both columns to NULL and so no
  longer writes an entry for the closed ticket into either (on SQLite the
  NULL entries sat in id order: a page per few closed tickets), and each
  index holds the armed or snoozed tickets only, not all of them.
- Indexes whose column another index of the table begins with go:
  ``ticket (profile_id)`` (``(profile_id, created_at)`` serves it),
  ``ticket (assignee_id)`` (``(assignee_id, updated_at, id)``),
  ``message (ticket_id)`` (``(ticket_id, id)``: on SQLite the very same
  order, the rowid ends every index) and ``activity (ticket_id)``
  (``(ticket_id, created_at)``). Lookups and the foreign keys' cascades use
  the longer index. A notice or activity entry of a ticket lands on its
  ticket's page of every such index (the sweep's tickets are spread over
  the table, so one page each); PostgreSQL also writes an entry in every
  index of ``ticket`` for each closed ticket (13 before, 9 now).
"""

from peewee import *

DUPLICATES = (
    ("ticket", "profile_id"),
    ("ticket", "assignee_id"),
    ("message", "ticket_id"),
    ("activity", "ticket_id"),
)


def up(migrator, db):
    with db.atomic():
        db.execute_sql(
            'CREATE INDEX "ticket_armed_clock" ON "ticket" ("awaiting_customer_since", "id") '
            'WHERE "awaiting_customer_since" IS NOT NULL'
        )
        db.execute_sql('CREATE INDEX "ticket_snoozed" ON "ticket" ("snoozed_until") WHERE "snoozed_until" IS NOT NULL')
        migrator.migrate(
            migrator.drop_index("ticket", "ticket_awaiting_customer_since_id"),
            migrator.drop_index("ticket", "ticket_snoozed_until"),
            *(migrator.drop_index(table, f"{table}_{column}") for table, column in DUPLICATES),
        )


def down(migrator, db):
    with db.atomic():
        migrator.migrate(
            migrator.add_index("ticket", ("awaiting_customer_since", "id"), False),
            migrator.add_index("ticket", ("snoozed_until",), False),
            *(migrator.add_index(table, (column,), False) for table, column in DUPLICATES),
            migrator.drop_index("ticket", "ticket_armed_clock"),
            migrator.drop_index("ticket", "ticket_snoozed"),
        )
