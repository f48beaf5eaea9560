"""``ticket (date(created_at), updated_at, id)``: a ticket list with a
created range sorted by update walks each day of the range in update order
and stops after a page (``app.services.views``), instead of reading every
ticket of the range and sorting them (20,160 for a week at 1M). ``date()`` of
a ``timestamp`` is the same expression on SQLite (text dates) and
PostgreSQL (immutable there), so one statement serves both."""


def up(migrator, db):
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "ticket_created_day_updated_at_id" ON "ticket" (date("created_at"), "updated_at", "id")'
    )


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "ticket_created_day_updated_at_id"')
