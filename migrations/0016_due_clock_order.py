"""The auto-close clock index becomes ``ticket (awaiting_customer_since,
id)``: the sweep pages through due tickets in that order (keyset on both).
On PostgreSQL an index on the clock alone keeps tickets whose clocks are
equal in no useful order, so every batch read and sorted all of them again
(10,000 due at the same instant: 46 ms per batch of 500, in each of 20
batches). SQLite already ended the index with the rowid; the same index
there is the same order."""

from peewee import *


def up(migrator, db):
    with db.atomic():
        migrator.migrate(
            migrator.add_index("ticket", ("awaiting_customer_since", "id"), False),
            migrator.drop_index("ticket", "ticket_awaiting_customer_since"),
        )


def down(migrator, db):
    with db.atomic():
        migrator.migrate(
            migrator.add_index("ticket", ("awaiting_customer_since",), False),
            migrator.drop_index("ticket", "ticket_awaiting_customer_since_id"),
        )
