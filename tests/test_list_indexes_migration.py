"""Core migration 0021: the tag rows' (tag, status, updated_at) index and
the tickets' (date(updated_at), created_at, id) index, built on ``up`` over
existing rows and dropped on ``down``. Runs on a database of its own (the
``database`` fixture of tests/conftest.py)."""

import os

from playhouse.migrations import Runner

import migrations as core_migrations

NAMES = {"ticket_tag_status_list", "ticket_updated_day_created_at_id"}


def _indexes(database):
    return {i.name for table in ("ticket", "ticket_tag") for i in database.get_indexes(table)}


def test_list_indexes_from_up_until_down(database):
    runner = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    runner.up(target="0020_ticket_tag_list")
    profile = database.execute_sql(
        "INSERT INTO profile (name, created_at, updated_at) VALUES ('P', '2026-01-01', '2026-01-01') RETURNING id"
    ).fetchone()[0]
    database.execute_sql(
        "INSERT INTO ticket (channel, thread_key, profile_id, status, subject, created_at, updated_at, "
        f"reopen_count, last_message_preview) VALUES ('email', 'k', {profile}, 'open', '', '2026-01-01 00:00:00', "
        "'2026-01-02 00:00:00', 0, '')"
    )
    assert not NAMES & _indexes(database)

    assert runner.up(target="0021_tag_status_and_updated_day_indexes") == ["0021_tag_status_and_updated_day_indexes"]
    assert NAMES <= _indexes(database)
    # The expression index serves date(updated_at) on both backends.
    day = database.execute_sql("SELECT date(updated_at) FROM ticket").fetchone()[0]
    assert str(day) == "2026-01-02"

    assert runner.down() == ["0021_tag_status_and_updated_day_indexes"]
    assert not NAMES & _indexes(database)
    assert runner.up(target="0021_tag_status_and_updated_day_indexes") == ["0021_tag_status_and_updated_day_indexes"]
    assert NAMES <= _indexes(database)
