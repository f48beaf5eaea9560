"""``ticket_tag`` carries its ticket's ``status``, ``assignee_id``,
``channel`` and ``updated_at``, indexed as ``ticket_tag_list (tag_id,
status, assignee_id, updated_at, ticket_id, channel)``: a list of one
agent's (or no one's) tickets with a tag walks that tag's rows of the agent
in update order and stops after a page (``app.services.views``), instead of
walking every ticket of the agent and probing each for the tag (16,667 open
email tickets of one agent at 1M for a tag none of them carries).

The copies are kept by triggers, so every write path (the services, the
auto-close sweep's bulk ``UPDATE``, merges, foreign-key cascades) keeps
them exact in the same transaction:

- a new tag row (or one moved to another ticket) copies its ticket's
  columns (no assignee as 0: an equality, which PostgreSQL walks in index
  order, where after an ``IS NULL`` it sorted the whole range): SQLite an ``AFTER`` row trigger that updates the new row,
  PostgreSQL a ``BEFORE`` row trigger that fills it, reading the ticket
  ``FOR SHARE`` so a concurrent update of the ticket either waits for this
  row or is seen by it (read committed would let each miss the other);
- an update of one of those columns of a ticket rewrites its tag rows:
  SQLite a row trigger (``WHEN`` one changed; a ticket without tags costs
  one probe of the ``(ticket_id, tag_id)`` index), PostgreSQL a statement
  trigger over the transition tables (one set-based ``UPDATE`` for a bulk
  update, skipped when none of the changed tickets has a tag).

Backfilled set-based. On PostgreSQL writes to ``ticket`` and ``ticket_tag``
wait for the migration (``LOCK TABLE``, as 0015); at 1M tickets with 100,000
tag rows it took seconds (docs/benchmarks.md, "Tagged lists walked on the tag's
rows").
"""

import peewee
from peewee import PostgresqlDatabase

COLUMNS = ("status", "assignee_id", "channel", "updated_at")


def _source(t):
    """Ticket ``t``'s columns as the tag rows copy them: no assignee is 0
    (an equality, so a list of unassigned tickets walks the index in order
    on PostgreSQL too, which sorts the whole range after an ``IS NULL``)."""
    return ", ".join(f"COALESCE({t}.{c}, 0)" if c == "assignee_id" else f"{t}.{c}" for c in COLUMNS)


INDEX = (
    'CREATE INDEX IF NOT EXISTS "ticket_tag_list" ON "ticket_tag" '
    '("tag_id", "status", "assignee_id", "updated_at", "ticket_id", "channel")'
)


def _fields():
    return {
        "status": peewee.CharField(max_length=16, null=True),
        "assignee_id": peewee.IntegerField(null=True),
        "channel": peewee.CharField(max_length=32, null=True),
        "updated_at": peewee.DateTimeField(null=True),
    }


def _copied(a, b):
    return " OR ".join(f"{a}.{c} IS DISTINCT FROM {b}.{c}" for c in COLUMNS)


# --- SQLite: row triggers ----------------------------------------------------

_SQLITE_FILL = (
    f"UPDATE ticket_tag SET ({', '.join(COLUMNS)}) = "
    f"(SELECT {_source('t')} FROM ticket t WHERE t.id = new.ticket_id) WHERE id = new.id"
)


def _sqlite_triggers():
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in COLUMNS)
    return {
        "ticket_tag_copy_ai": f"AFTER INSERT ON ticket_tag BEGIN {_SQLITE_FILL}; END",
        "ticket_tag_copy_au": f"AFTER UPDATE OF ticket_id ON ticket_tag BEGIN {_SQLITE_FILL}; END",
        "ticket_tag_copy_ticket_au": (
            f"AFTER UPDATE OF {', '.join(COLUMNS)} ON ticket WHEN {changed} BEGIN "
            f"UPDATE ticket_tag SET ({', '.join(COLUMNS)}) = ({_source('new')}) WHERE ticket_id = new.id; END"
        ),
    }


# --- PostgreSQL ----------------------------------------------------------------

_PG_FUNCTIONS = {
    "ticket_tag_copy": (
        f"SELECT {_source('t')} INTO {', '.join('NEW.' + c for c in COLUMNS)} "
        "FROM ticket t WHERE t.id = NEW.ticket_id FOR SHARE; RETURN NEW"
    ),
    # The changed tickets' ids first, then their tag rows by the ticket_id
    # index: joined to the transition tables (no statistics), the tag rows
    # were read whole for a one-ticket update (3.4 ms instead of 0.5 ms).
    # Only when one of them has a tag: an UPDATE of no row still fires the
    # tag counters' statement trigger (0015).
    "ticket_tag_copy_ticket": (
        f"DECLARE ids integer[] := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE {_copied('o', 'n')}); BEGIN "
        "IF ids <> '{}' AND EXISTS (SELECT 1 FROM ticket_tag x WHERE x.ticket_id = ANY (ids)) THEN "
        f"UPDATE ticket_tag x SET ({', '.join(COLUMNS)}) = (SELECT {_source('t')} FROM ticket t WHERE t.id = x.ticket_id) "
        "WHERE x.ticket_id = ANY (ids); "
        "END IF; RETURN NULL; END"
    ),
}


def _postgres_up(db):
    db.execute_sql("LOCK TABLE ticket, ticket_tag IN SHARE ROW EXCLUSIVE MODE")
    for name, body in _PG_FUNCTIONS.items():
        body = body if body.startswith("DECLARE") else f"BEGIN {body}; END"
        db.execute_sql(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    db.execute_sql(
        "CREATE TRIGGER ticket_tag_copy BEFORE INSERT OR UPDATE OF ticket_id ON ticket_tag "
        "FOR EACH ROW EXECUTE FUNCTION ticket_tag_copy()"
    )
    db.execute_sql(
        "CREATE TRIGGER ticket_tag_copy_ticket AFTER UPDATE ON ticket REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_tag_copy_ticket()"
    )
    # The backfill moves no tag between tickets or statuses: the tag
    # counters' trigger (0015) would only add up zeros over 2 x the rows.
    db.execute_sql("ALTER TABLE ticket_tag DISABLE TRIGGER tally_ticket_tag_upd")
    db.execute_sql(
        f"UPDATE ticket_tag x SET ({', '.join(COLUMNS)}) = ({_source('t')}) FROM ticket t WHERE t.id = x.ticket_id"
    )
    db.execute_sql("ALTER TABLE ticket_tag ENABLE TRIGGER tally_ticket_tag_upd")


def up(migrator, db):
    with db.atomic():
        migrator.migrate(*(migrator.add_column("ticket_tag", name, field) for name, field in _fields().items()))
        if isinstance(db, PostgresqlDatabase):
            _postgres_up(db)
        else:
            for name, body in _sqlite_triggers().items():
                db.execute_sql(f"CREATE TRIGGER {name} {body}")
            db.execute_sql(
                f"UPDATE ticket_tag SET ({', '.join(COLUMNS)}) = (SELECT {_source('t')} "
                "FROM ticket t WHERE t.id = ticket_tag.ticket_id)"
            )
        db.execute_sql(INDEX)


def down(migrator, db):
    with db.atomic():
        if isinstance(db, PostgresqlDatabase):
            db.execute_sql("DROP TRIGGER IF EXISTS ticket_tag_copy ON ticket_tag")
            db.execute_sql("DROP TRIGGER IF EXISTS ticket_tag_copy_ticket ON ticket")
            for name in _PG_FUNCTIONS:
                db.execute_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for name in _sqlite_triggers():
                db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
        db.execute_sql('DROP INDEX IF EXISTS "ticket_tag_list"')
        migrator.migrate(*(migrator.drop_column("ticket_tag", name) for name in COLUMNS))
