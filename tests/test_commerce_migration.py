"""Core migration 0003 on top of 0002: orders and events stored before it
(the demo data) keep their lines and customers, gain a source and the
provider-id keys, and ``down`` gives ``items`` back. Runs on a database of
its own (the ``database`` fixture of tests/conftest.py)."""

import json
import os

import peewee
import pytest
from playhouse.migrations import Runner

import migrations as core_migrations

LINES = [{"external_id": "l1", "title": "Blue mug", "quantity": 2, "unit_price": "12.50", "total": "25.00"}]


def test_commerce_migration_keeps_lines_and_customers(database):
    runner = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    runner.up(target="0001_initial")
    p = database.param  # "?" on SQLite, "%s" on PostgreSQL
    profile_id = database.execute_sql(
        "INSERT INTO profile (name, email, external_ids, created_at, updated_at) "
        "VALUES ('Ana', 'ana@example.net', '{}', '2025-05-01', '2025-05-01') RETURNING id"
    ).fetchone()[0]
    database.execute_sql(
        'INSERT INTO "order" (profile_id, external_id, total, currency, status, items, placed_at) '
        f"VALUES ({p}, '1001', 25, 'EUR', 'placed', {p}, '2025-05-02')",
        (profile_id, json.dumps(LINES)),
    )
    database.execute_sql(
        "INSERT INTO profile_event (profile_id, metric, properties, occurred_at) "
        f"VALUES ({p}, 'Viewed Product', '{{}}', '2025-05-01')",
        (profile_id,),
    )

    assert runner.up() == ["0002_identities", "0003_commerce"]

    order = database.execute_sql('SELECT profile_id, source, external_id, lines, name FROM "order"').fetchone()
    lines = order[3] if isinstance(order[3], list) else json.loads(order[3])
    assert (order[0], order[1], order[2], lines, order[4]) == (profile_id, "api", "1001", LINES, "")
    event = database.execute_sql("SELECT profile_id, source, external_id FROM profile_event").fetchone()
    assert event == (profile_id, "helpline", None)
    # The provider's ids are keys now: the same order of the same source cannot be stored twice.
    with pytest.raises(peewee.IntegrityError), database.atomic():
        database.execute_sql(
            'INSERT INTO "order" (profile_id, source, external_id, total, currency, status, lines, placed_at) '
            f"VALUES ({p}, 'api', '1001', 1, 'EUR', 'open', '[]', '2025-05-03')",
            (profile_id,),
        )
    assert "event_view" in database.get_tables()

    assert runner.down() == ["0003_commerce"]
    columns = {c.name for c in database.get_columns("order")}
    assert "items" in columns and "lines" not in columns and "source" not in columns
    items = database.execute_sql('SELECT items FROM "order"').fetchone()[0]
    assert (items if isinstance(items, list) else json.loads(items)) == LINES
    assert "event_view" not in database.get_tables()
