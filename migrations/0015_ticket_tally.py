"""Counter rows for the navigation's counts (``ticket_tally``,
``ticket_tag_tally``, ``read_tally``; see ``app/models/tally.py``), kept by
triggers so every write path (services, bulk ``UPDATE``s of the auto-close
sweep, merges, foreign-key cascades) keeps them exact in the same
transaction, and backfilled set-based from the existing rows (the triggers find a
ticket's tags and read markers through the ``ticket_id`` indexes those
tables already have). Also the ticket list index ``(assignee_id, status,
updated_at, id)`` gains ``channel`` at its end (see ``up``).

What each ticket contributes:

- ``ticket_tally``: 1 to (status, assignee or 0, channel), and to
  ``n_inbound`` when it has an inbound message;
- ``ticket_tag_tally``: 1 to (its status, tag) per tag;
- ``read_tally``: per read marker of an open ticket with an inbound message,
  read up to it, assigned to that marker's agent (``own`` 1) or to nobody
  (``own`` 0): 1 to (agent, own).

SQLite: row triggers (one writer at a time, so one shard, 0). PostgreSQL:
statement triggers over the transition tables, so a bulk ``UPDATE`` of 500
tickets makes one grouped upsert per counter table, in key order (two
transactions never take the same counter rows in opposite orders within a
statement); each connection writes its own shard
(``pg_backend_pid() % 32``), so concurrent writers rarely wait on the
same row. Deleting a ticket is counted before the row goes (a ``BEFORE
DELETE`` row trigger): the cascade then removes its tags and read markers
when the ticket can no longer be joined, and their own triggers add
nothing.

A statement trigger sees the other tables as they are at the end of its
statement. That only matters when one statement changes two of these
tables, which only a foreign-key cascade does: deleting an agent
unassigns their tickets and deletes their read markers at once. So
``app.services.agents.remove_agent`` deletes the agent's read markers in a
statement of their own first (and deletes only agents without tickets).
"""

from peewee import PostgresqlDatabase

SHARDS = 32

TALLY_TABLES = ("ticket_tally", "ticket_tag_tally", "read_tally")


def _inbound(t):
    return f"CASE WHEN COALESCE({t}.last_inbound_message_id, 0) > 0 THEN 1 ELSE 0 END"


def _read(t, m):
    """The condition under which marker ``m`` on ticket ``t`` counts."""
    return (
        f"{t}.status = 'open' AND COALESCE({t}.last_inbound_message_id, 0) > 0 "
        f"AND {m}.last_read_message_id >= {t}.last_inbound_message_id "
        f"AND ({t}.assignee_id IS NULL OR {t}.assignee_id = {m}.agent_id)"
    )


def _own(t):
    return f"CASE WHEN {t}.assignee_id IS NULL THEN 0 ELSE 1 END"


UPSERT = {
    "ticket_tally": (
        "INSERT INTO ticket_tally (shard, status, assignee_id, channel, n, n_inbound) {select} "
        "ON CONFLICT (status, assignee_id, channel, shard) DO UPDATE "
        "SET n = ticket_tally.n + excluded.n, n_inbound = ticket_tally.n_inbound + excluded.n_inbound"
    ),
    "ticket_tag_tally": (
        "INSERT INTO ticket_tag_tally (shard, status, tag_id, n) {select} "
        "ON CONFLICT (tag_id, status, shard) DO UPDATE SET n = ticket_tag_tally.n + excluded.n"
    ),
    "read_tally": (
        "INSERT INTO read_tally (shard, agent_id, own, n) {select} "
        "ON CONFLICT (agent_id, own, shard) DO UPDATE SET n = read_tally.n + excluded.n"
    ),
}


def _create_tables(db):
    db.execute_sql(
        "CREATE TABLE ticket_tally (shard SMALLINT NOT NULL, status VARCHAR(16) NOT NULL, "
        "assignee_id INTEGER NOT NULL, channel VARCHAR(32) NOT NULL, n BIGINT NOT NULL DEFAULT 0, "
        "n_inbound BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (status, assignee_id, channel, shard))"
    )
    db.execute_sql(
        "CREATE TABLE ticket_tag_tally (shard SMALLINT NOT NULL, status VARCHAR(16) NOT NULL, "
        "tag_id INTEGER NOT NULL, n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (tag_id, status, shard))"
    )
    db.execute_sql(
        "CREATE TABLE read_tally (shard SMALLINT NOT NULL, agent_id INTEGER NOT NULL, own SMALLINT NOT NULL, "
        "n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (agent_id, own, shard))"
    )


def _backfill(db):
    db.execute_sql(
        UPSERT["ticket_tally"].format(
            select="SELECT 0, t.status, COALESCE(t.assignee_id, 0), t.channel, COUNT(*), "
            f"SUM({_inbound('t')}) FROM ticket t WHERE true GROUP BY 2, 3, 4"
        )
    )
    db.execute_sql(
        UPSERT["ticket_tag_tally"].format(
            select="SELECT 0, t.status, x.tag_id, COUNT(*) FROM ticket_tag x JOIN ticket t ON t.id = x.ticket_id "
            "WHERE true GROUP BY 2, 3"
        )
    )
    db.execute_sql(
        UPSERT["read_tally"].format(
            select=f"SELECT 0, m.agent_id, {_own('t')}, COUNT(*) FROM read_marker m "
            f"JOIN ticket t ON t.id = m.ticket_id WHERE {_read('t', 'm')} GROUP BY 2, 3"
        )
    )


# --- SQLite: row triggers ----------------------------------------------------


def _sqlite_ticket_delta(t, sign):
    return UPSERT["ticket_tally"].format(
        select=f"SELECT 0, {t}.status, COALESCE({t}.assignee_id, 0), {t}.channel, {sign}1, "
        f"{sign}{_inbound(t)} WHERE true"
    )


def _sqlite_tags_of_ticket(t, sign, only_if="true"):
    return UPSERT["ticket_tag_tally"].format(
        select=f"SELECT 0, {t}.status, x.tag_id, {sign}1 FROM ticket_tag x WHERE x.ticket_id = {t}.id AND {only_if}"
    )


def _sqlite_markers_of_ticket(t, sign):
    return UPSERT["read_tally"].format(
        select=f"SELECT 0, m.agent_id, {_own(t)}, {sign}1 FROM read_marker m "
        f"WHERE m.ticket_id = {t}.id AND {_read(t, 'm')}"
    )


def _sqlite_tag_delta(x, sign):
    return UPSERT["ticket_tag_tally"].format(
        select=f"SELECT 0, t.status, {x}.tag_id, {sign}1 FROM ticket t WHERE t.id = {x}.ticket_id"
    )


def _sqlite_marker_delta(m, sign):
    return UPSERT["read_tally"].format(
        select=f"SELECT 0, {m}.agent_id, {_own('t')}, {sign}1 FROM ticket t "
        f"WHERE t.id = {m}.ticket_id AND {_read('t', m)}"
    )


TICKET_COLUMNS = ("status", "assignee_id", "channel", "last_inbound_message_id")


def _sqlite_triggers():
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in TICKET_COLUMNS)
    moved = "old.status IS NOT new.status"
    return {
        "tally_ticket_ai": f"AFTER INSERT ON ticket BEGIN {_sqlite_ticket_delta('new', '+')}; END",
        "tally_ticket_au": (
            f"AFTER UPDATE OF {', '.join(TICKET_COLUMNS)} ON ticket WHEN {changed} BEGIN "
            f"{_sqlite_ticket_delta('old', '-')}; {_sqlite_ticket_delta('new', '+')}; "
            f"{_sqlite_tags_of_ticket('old', '-', moved)}; {_sqlite_tags_of_ticket('new', '+', moved)}; "
            f"{_sqlite_markers_of_ticket('old', '-')}; {_sqlite_markers_of_ticket('new', '+')}; END"
        ),
        "tally_ticket_bd": (
            f"BEFORE DELETE ON ticket BEGIN {_sqlite_ticket_delta('old', '-')}; "
            f"{_sqlite_tags_of_ticket('old', '-')}; {_sqlite_markers_of_ticket('old', '-')}; END"
        ),
        "tally_ticket_tag_ai": f"AFTER INSERT ON ticket_tag BEGIN {_sqlite_tag_delta('new', '+')}; END",
        "tally_ticket_tag_au": (
            f"AFTER UPDATE OF ticket_id, tag_id ON ticket_tag BEGIN "
            f"{_sqlite_tag_delta('old', '-')}; {_sqlite_tag_delta('new', '+')}; END"
        ),
        "tally_ticket_tag_ad": f"AFTER DELETE ON ticket_tag BEGIN {_sqlite_tag_delta('old', '-')}; END",
        "tally_read_marker_ai": f"AFTER INSERT ON read_marker BEGIN {_sqlite_marker_delta('new', '+')}; END",
        "tally_read_marker_au": (
            f"AFTER UPDATE OF agent_id, ticket_id, last_read_message_id ON read_marker BEGIN "
            f"{_sqlite_marker_delta('old', '-')}; {_sqlite_marker_delta('new', '+')}; END"
        ),
        "tally_read_marker_ad": f"AFTER DELETE ON read_marker BEGIN {_sqlite_marker_delta('old', '-')}; END",
    }


# --- PostgreSQL: statement triggers over transition tables -------------------

SHARD = f"mod(pg_backend_pid(), {SHARDS})"


def _pg_ticket_rows(sources):
    """Grouped ticket_tally deltas from ``[(table, sign)]``."""
    parts = " UNION ALL ".join(
        f"SELECT t.status, COALESCE(t.assignee_id, 0) AS a, t.channel, {sign}1 AS d, {sign}{_inbound('t')} AS di "
        f"FROM {table} t"
        for table, sign in sources
    )
    return UPSERT["ticket_tally"].format(
        select=f"SELECT {SHARD}, status, a, channel, SUM(d), SUM(di) FROM ({parts}) x "
        "GROUP BY status, a, channel HAVING SUM(d) <> 0 OR SUM(di) <> 0 ORDER BY status, a, channel"
    )


def _pg_tag_rows(parts):
    return UPSERT["ticket_tag_tally"].format(
        select=f"SELECT {SHARD}, status, tag_id, SUM(d) FROM ({' UNION ALL '.join(parts)}) x "
        "GROUP BY status, tag_id HAVING SUM(d) <> 0 ORDER BY tag_id, status"
    )


def _pg_read_rows(parts):
    return UPSERT["read_tally"].format(
        select=f"SELECT {SHARD}, agent_id, own, SUM(d) FROM ({' UNION ALL '.join(parts)}) x "
        "GROUP BY agent_id, own HAVING SUM(d) <> 0 ORDER BY agent_id, own"
    )


def _pg_function(name, body, returns="NULL"):
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN {returns}; END $$"


def _pg_functions():
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in TICKET_COLUMNS)
    pairs = "old_rows o JOIN new_rows n ON n.id = o.id"
    moved = f"{pairs} JOIN ticket_tag x ON x.ticket_id = o.id WHERE o.status IS DISTINCT FROM n.status"
    marked = f"{pairs} JOIN read_marker m ON m.ticket_id = o.id WHERE ({changed})"
    return {
        "tally_ticket_ins": _pg_ticket_rows([("new_rows", "+")]),
        "tally_ticket_upd": (
            f"IF NOT EXISTS (SELECT 1 FROM {pairs} WHERE {changed}) THEN RETURN NULL; END IF; "
            + _pg_ticket_rows([("old_rows", "-"), ("new_rows", "+")])
            + "; "
            + _pg_tag_rows(
                [f"SELECT o.status, x.tag_id, -1 AS d FROM {moved}", f"SELECT n.status, x.tag_id, 1 AS d FROM {moved}"]
            )
            + "; "
            + _pg_read_rows(
                [
                    f"SELECT m.agent_id, {_own('o')} AS own, -1 AS d FROM {marked} AND {_read('o', 'm')}",
                    f"SELECT m.agent_id, {_own('n')} AS own, 1 AS d FROM {marked} AND {_read('n', 'm')}",
                ]
            )
        ),
        "tally_ticket_tag_ins": _pg_tag_rows(
            ["SELECT t.status, x.tag_id, 1 AS d FROM new_rows x JOIN ticket t ON t.id = x.ticket_id"]
        ),
        "tally_ticket_tag_upd": _pg_tag_rows(
            [
                "SELECT t.status, x.tag_id, -1 AS d FROM old_rows x JOIN ticket t ON t.id = x.ticket_id",
                "SELECT t.status, x.tag_id, 1 AS d FROM new_rows x JOIN ticket t ON t.id = x.ticket_id",
            ]
        ),
        "tally_ticket_tag_del": _pg_tag_rows(
            ["SELECT t.status, x.tag_id, -1 AS d FROM old_rows x JOIN ticket t ON t.id = x.ticket_id"]
        ),
        "tally_read_marker_ins": _pg_read_rows([_pg_marker_rows("new_rows", "")]),
        "tally_read_marker_upd": _pg_read_rows([_pg_marker_rows("old_rows", "-"), _pg_marker_rows("new_rows", "")]),
        "tally_read_marker_del": _pg_read_rows([_pg_marker_rows("old_rows", "-")]),
    }


def _pg_marker_rows(table, sign):
    return (
        f"SELECT m.agent_id, {_own('t')} AS own, {sign}1 AS d FROM {table} m "
        f"JOIN ticket t ON t.id = m.ticket_id WHERE {_read('t', 'm')}"
    )


def _pg_ticket_delete():
    """Row trigger body: a deleted ticket's counts, taken while its tags and
    read markers can still be joined (the cascade runs after)."""
    return (
        UPSERT["ticket_tally"].format(
            select=f"SELECT {SHARD}, OLD.status, COALESCE(OLD.assignee_id, 0), OLD.channel, -1, -{_inbound('OLD')}"
        )
        + "; "
        + UPSERT["ticket_tag_tally"].format(
            select=f"SELECT {SHARD}, OLD.status, x.tag_id, -1 FROM ticket_tag x WHERE x.ticket_id = OLD.id "
            "ORDER BY x.tag_id"
        )
        + "; "
        + UPSERT["read_tally"].format(
            select=f"SELECT {SHARD}, m.agent_id, {_own('OLD')}, -1 FROM read_marker m "
            f"WHERE m.ticket_id = OLD.id AND {_read('OLD', 'm')} ORDER BY m.agent_id"
        )
    )


PG_TRIGGERS = {
    # trigger: (table, event, function, transition tables)
    "tally_ticket_ins": ("ticket", "INSERT", "NEW TABLE AS new_rows"),
    "tally_ticket_upd": ("ticket", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "tally_ticket_tag_ins": ("ticket_tag", "INSERT", "NEW TABLE AS new_rows"),
    "tally_ticket_tag_upd": ("ticket_tag", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "tally_ticket_tag_del": ("ticket_tag", "DELETE", "OLD TABLE AS old_rows"),
    "tally_read_marker_ins": ("read_marker", "INSERT", "NEW TABLE AS new_rows"),
    "tally_read_marker_upd": ("read_marker", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "tally_read_marker_del": ("read_marker", "DELETE", "OLD TABLE AS old_rows"),
}


def _postgres_up(db):
    # No write may slip between the backfill and the triggers.
    db.execute_sql("LOCK TABLE ticket, ticket_tag, read_marker IN SHARE ROW EXCLUSIVE MODE")
    for name, body in _pg_functions().items():
        db.execute_sql(_pg_function(name, body))
        table, event, refs = PG_TRIGGERS[name]
        db.execute_sql(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    db.execute_sql(_pg_function("tally_ticket_del", _pg_ticket_delete(), returns="OLD"))
    db.execute_sql(
        "CREATE TRIGGER tally_ticket_del BEFORE DELETE ON ticket FOR EACH ROW EXECUTE FUNCTION tally_ticket_del()"
    )


def up(migrator, db):
    with db.atomic():
        # The same list index with the channel at the end, so a view of one
        # agent's tickets filtered by channel (and a tag) skips the other
        # channels' rows in the index instead of reading each ticket.
        migrator.migrate(
            migrator.add_index("ticket", ("assignee_id", "status", "updated_at", "id", "channel"), False),
            migrator.drop_index("ticket", "ticket_assignee_id_status_updated_at_id"),
        )
        _create_tables(db)
        if isinstance(db, PostgresqlDatabase):
            _postgres_up(db)
        else:
            for name, body in _sqlite_triggers().items():
                db.execute_sql(f"CREATE TRIGGER {name} {body}")
        _backfill(db)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for name, (table, _event, _refs) in {**PG_TRIGGERS, "tally_ticket_del": ("ticket", "", "")}.items():
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            db.execute_sql(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in _sqlite_triggers():
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    for table in TALLY_TABLES:
        db.execute_sql(f"DROP TABLE IF EXISTS {table}")
    migrator.migrate(
        migrator.add_index("ticket", ("assignee_id", "status", "updated_at", "id"), False),
        migrator.drop_index("ticket", "ticket_assignee_id_status_updated_at_id_channel"),
    )
