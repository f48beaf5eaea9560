"""Full-text search over ticket subjects, every message of a thread and the
customer's name, email and phone.

SQLite: three FTS5 tables with external content (``ticket_fts``,
``message_fts``, ``profile_fts``; the text stays in its own table, the
index holds only tokens) and triggers that keep them in step with every
insert, update and delete, whatever code path writes. Tokenizer: ``porter``
over ``unicode61`` with ``remove_diacritics 2`` (English stems; accents
folded, so "envío" and "envio" are the same word).

PostgreSQL: a stored generated ``search_vector`` column (English and Spanish
stems; customer fields unstemmed, with email and phone also split at their
punctuation) on each table, with a GIN index. The database keeps it current.

Backfill: the FTS ``rebuild`` command on SQLite; on PostgreSQL adding the
generated column computes it for every existing row.

Also the list index ``ticket (assignee_id, updated_at, id)``: an assignee
filter without a status (All tickets, a search) pages in index order instead
of sorting every ticket of that agent.
"""

from peewee import PostgresqlDatabase

TOKENIZE = "porter unicode61 remove_diacritics 2"
SQLITE_TABLES = {
    # fts table: (content table, indexed columns)
    "ticket_fts": ("ticket", ("subject",)),
    "message_fts": ("message", ("text",)),
    "profile_fts": ("profile", ("name", "email", "phone")),
}


def _sqlite_up(db):
    for fts, (table, columns) in SQLITE_TABLES.items():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        db.execute_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
            f"tokenize='{TOKENIZE}')"
        )
        db.execute_sql(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.id, {new}); END"
        )
        db.execute_sql(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        db.execute_sql(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.id, {new}); END"
        )
        db.execute_sql(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def _stemmed(expr):
    return f"to_tsvector('english', {expr}) || to_tsvector('spanish', {expr})"


def _split(expr):
    # "jane.doe@example.com" is one token to PostgreSQL's parser: index its
    # parts too, so a search for "jane" or "example" finds it.
    return f"to_tsvector('simple', {expr}) || to_tsvector('simple', translate({expr}, '@.+-_', '     '))"


POSTGRES_VECTORS = {
    "ticket": _stemmed("coalesce(subject, '')"),
    "message": _stemmed("coalesce(text, '')"),
    "profile": " || ".join(
        ("to_tsvector('simple', coalesce(name, ''))", _split("coalesce(email, '')"), _split("coalesce(phone, '')"))
    ),
}


def _postgres_up(db):
    for table, vector in POSTGRES_VECTORS.items():
        db.execute_sql(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
        db.execute_sql(f"CREATE INDEX {table}_search_vector ON {table} USING gin (search_vector)")


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        _postgres_up(db)
    else:
        _sqlite_up(db)
    migrator.migrate(migrator.add_index("ticket", ("assignee_id", "updated_at", "id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("ticket", "ticket_assignee_id_updated_at_id"))
    if isinstance(db, PostgresqlDatabase):
        for table in POSTGRES_VECTORS:
            db.execute_sql(f"ALTER TABLE {table} DROP COLUMN search_vector")
        return
    for fts in SQLITE_TABLES:
        for suffix in ("ai", "ad", "au"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        db.execute_sql(f"DROP TABLE IF EXISTS {fts}")
