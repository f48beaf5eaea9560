"""PostgreSQL's ``search_vector`` columns (migration 0006) are kept by
triggers that run only when the text they index is written, instead of
being stored generated columns (issue 16: the auto-close sweep).

PostgreSQL 15 recomputes every stored generated column on every ``UPDATE``
of its row, whichever columns the statement sets: each ticket the sweep
closes had its subject's English and Spanish ``tsvector`` computed again,
each outbound message whose delivery state moved had its text's, each
profile whose consent changed had its name's, email's and phone's. Now:

- ``ALTER COLUMN search_vector DROP EXPRESSION`` turns each generated column
  into a plain one holding the same values (no rewrite, the GIN index stays);
- a ``BEFORE INSERT`` row trigger computes the vector of a new row with the
  very expression of 0006, and a ``BEFORE UPDATE OF <text columns>,
  search_vector`` row trigger computes it again when one of them changes.
  A statement that sets neither the text nor the vector (the sweep's close,
  a delivery state, a consent) does not fire it at all; one that writes the
  vector itself gets it recomputed, so the column never holds anything but
  its text's vector, as a generated column never did.

A row still gets a new entry in every index of its table, the GIN one
included, when an update cannot be HOT (the sweep's: it changes indexed
columns); that is PostgreSQL's, whatever keeps the column.

SQLite: nothing to do. Its FTS5 tables are already kept by ``AFTER UPDATE
OF <text columns>`` triggers (0006), which a close does not fire.

Down: the triggers go and each column becomes a generated one again
(dropped and added back, which computes it for every row, as 0006 did).
"""

from peewee import PostgresqlDatabase


def _stemmed(expr):
    return f"to_tsvector('english', {expr}) || to_tsvector('spanish', {expr})"


def _split(expr):
    return f"to_tsvector('simple', {expr}) || to_tsvector('simple', translate({expr}, '@.+-_', '     '))"


# table: (the columns it indexes, its vector over ``row`` as 0006 writes it)
VECTORS = {
    "ticket": (("subject",), lambda row: _stemmed(f"coalesce({row}subject, '')")),
    "message": (("text",), lambda row: _stemmed(f"coalesce({row}text, '')")),
    "profile": (
        ("name", "email", "phone"),
        lambda row: " || ".join(
            (
                f"to_tsvector('simple', coalesce({row}name, ''))",
                _split(f"coalesce({row}email, '')"),
                _split(f"coalesce({row}phone, '')"),
            )
        ),
    ),
}


def _postgres_up(db):
    for table, (columns, vector) in VECTORS.items():
        db.execute_sql(f"ALTER TABLE {table} ALTER COLUMN search_vector DROP EXPRESSION")
        db.execute_sql(
            f"CREATE FUNCTION {table}_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.search_vector := {vector('NEW.')}; RETURN NEW; END $$"
        )
        db.execute_sql(
            f"CREATE TRIGGER {table}_search_vector_ins BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search_vector()"
        )
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (*columns, "search_vector"))
        db.execute_sql(
            f"CREATE TRIGGER {table}_search_vector_upd BEFORE UPDATE OF {', '.join(columns)}, search_vector "
            f"ON {table} FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_search_vector()"
        )


def _postgres_down(db):
    for table, (_columns, vector) in VECTORS.items():
        for suffix in ("ins", "upd"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_search_vector_{suffix} ON {table}")
        db.execute_sql(f"DROP FUNCTION IF EXISTS {table}_search_vector()")
        db.execute_sql(f"ALTER TABLE {table} DROP COLUMN search_vector")
        db.execute_sql(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector('')}) STORED"
        )
        db.execute_sql(f"CREATE INDEX {table}_search_vector ON {table} USING gin (search_vector)")


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        with db.atomic():
            _postgres_up(db)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        with db.atomic():
            _postgres_down(db)
