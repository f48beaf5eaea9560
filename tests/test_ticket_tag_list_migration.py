"""Core migration 0020: tag rows carry their ticket's status, assignee,
channel and update time, backfilled on ``up`` and kept by triggers on every
write to ``ticket`` and ``ticket_tag`` (raw SQL here, as a bulk ``UPDATE``
outside the services would write); ``down`` drops them. Runs on a database of
its own (the ``database`` fixture of tests/conftest.py)."""

import os

from playhouse.migrations import Runner

import migrations as core_migrations

COPIES = (
    "SELECT x.ticket_id, x.tag_id, x.status, x.assignee_id, x.channel, x.updated_at FROM ticket_tag x ORDER BY 1, 2"
)
TICKETS = (
    "SELECT x.ticket_id, x.tag_id, t.status, COALESCE(t.assignee_id, 0), t.channel, t.updated_at "
    "FROM ticket_tag x JOIN ticket t ON t.id = x.ticket_id ORDER BY 1, 2"
)


def _rows(database, sql):
    return [tuple(str(v) if v is not None else None for v in row) for row in database.execute_sql(sql).fetchall()]


def _insert(database, sql):
    return database.execute_sql(sql + " RETURNING id").fetchone()[0]


def test_tag_rows_copy_their_ticket_from_up_until_down(database):
    runner = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    runner.up(target="0018_ticket_created_day_index")
    agent = _insert(
        database,
        "INSERT INTO agent (email, name, password_hash, role, presence, presence_effective, timezone, is_active, "
        "created_at, totp_recovery) VALUES ('a@example.net', 'A', '', 'support', 'online', 'online', 'UTC', true, "
        "'2026-01-01 00:00:00', '[]')",
    )
    profile = _insert(
        database, "INSERT INTO profile (name, created_at, updated_at) VALUES ('P', '2026-01-01', '2026-01-01')"
    )
    tickets = [
        _insert(
            database,
            "INSERT INTO ticket (channel, thread_key, profile_id, status, assignee_id, subject, created_at, updated_at, "
            f"reopen_count, last_message_preview) VALUES ('{channel}', 'k{n}', {profile}, 'open', "
            f"{agent if n % 2 else 'NULL'}, '', '2026-01-0{n + 1} 00:00:00', '2026-01-0{n + 1} 01:00:00', 0, '')",
        )
        for n, channel in enumerate(("email", "sms", "webchat"))
    ]
    tags = [_insert(database, f"INSERT INTO tag (name) VALUES ('{name}')") for name in ("vip", "late")]
    database.execute_sql(
        f"INSERT INTO ticket_tag (ticket_id, tag_id) VALUES ({tickets[0]}, {tags[0]}), ({tickets[1]}, {tags[0]}), "
        f"({tickets[1]}, {tags[1]})"
    )

    assert runner.up(target="0020_ticket_tag_list") == ["0020_ticket_tag_list"]
    assert _rows(database, COPIES) == _rows(database, TICKETS)  # backfilled
    assert _rows(database, COPIES)[0][2:] == ("open", "0", "email", "2026-01-01 01:00:00")  # 0: unassigned

    # A bulk update of tickets (as the auto-close sweep's), an assignment, a
    # new tag row, a tag moved to another ticket: the copies follow each.
    database.execute_sql("UPDATE ticket SET status = 'closed', updated_at = '2026-02-01 00:00:00'")
    database.execute_sql(f"UPDATE ticket SET assignee_id = {agent} WHERE id = {tickets[0]}")
    database.execute_sql(f"UPDATE ticket SET assignee_id = NULL WHERE id = {tickets[1]}")
    database.execute_sql(f"INSERT INTO ticket_tag (ticket_id, tag_id) VALUES ({tickets[2]}, {tags[1]})")
    database.execute_sql(f"UPDATE ticket SET status = 'open' WHERE id = {tickets[2]}")
    database.execute_sql(f"UPDATE ticket_tag SET ticket_id = {tickets[2]} WHERE ticket_id = {tickets[0]}")
    copies = _rows(database, COPIES)
    assert copies == _rows(database, TICKETS)
    assert {row[2] for row in copies} == {"open", "closed"} and len(copies) == 4

    assert runner.down() == ["0020_ticket_tag_list"]
    columns = {c.name for c in database.get_columns("ticket_tag")}
    assert columns == {"id", "ticket_id", "tag_id"}
    database.execute_sql("UPDATE ticket SET status = 'open'")  # no trigger left to write a dropped column
    assert runner.up(target="0020_ticket_tag_list") == ["0020_ticket_tag_list"]
    assert _rows(database, COPIES) == _rows(database, TICKETS)
