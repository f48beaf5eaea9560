"""The kit's test isolation: under pytest-xdist each worker has a PostgreSQL
database of its own, and between tests the database is left as a fresh one
is (no rows, ids from 1) while only the tables a test changed are emptied."""

import os
from urllib.parse import urlparse, urlunparse

import pytest

from app.db import database_from_url
from app.testing import database


def test_each_xdist_worker_gets_a_database_of_its_own(monkeypatch):
    base = "postgresql://postgres:secret@127.0.0.1:5432/helpline_test?connect_timeout=5"
    monkeypatch.setenv("HELPLINE_DATABASE_URL", base)
    database.isolate_worker("gw1")
    mine = os.environ["HELPLINE_DATABASE_URL"]
    assert mine == "postgresql://postgres:secret@127.0.0.1:5432/helpline_test_gw1?connect_timeout=5"
    assert database.backend_url() == mine
    database.isolate_worker("gw1")  # configured twice: named once
    assert os.environ["HELPLINE_DATABASE_URL"] == mine
    assert database.worker_url(base, "gw0") != mine

    monkeypatch.setenv("HELPLINE_DATABASE_URL", "sqlite:///instance/helpline.sqlite3")
    database.isolate_worker("gw1")  # SQLite: every test has its own file already
    assert os.environ["HELPLINE_DATABASE_URL"] == "sqlite:///instance/helpline.sqlite3"


@pytest.fixture
def scratch_postgres():
    """A PostgreSQL database of this test's own (PostgreSQL runs for both
    halves of CI), with a parent and child table, a table without ids and
    one the test never touches."""
    base = database.backend_url() or "postgresql://postgres@127.0.0.1:5432/helpline_test"
    parsed = urlparse(base)
    url = urlunparse(parsed._replace(path=f"{parsed.path.rstrip('/')}_kitclean_{os.getpid()}", query=""))
    database.ensure_postgres_database(url)
    database.reset_postgres_schema(url)
    db = database_from_url(url)
    db.connect()
    for statement in (
        "CREATE TABLE parent (id SERIAL PRIMARY KEY, name TEXT)",
        "CREATE TABLE child (id SERIAL PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))",
        "CREATE TABLE note (body TEXT)",
        "CREATE TABLE emptied (id SERIAL PRIMARY KEY)",
        "CREATE TABLE untouched (id SERIAL PRIMARY KEY)",
        # Not in the kit's list, like a table a test's own plugin created.
        "CREATE TABLE outside (id SERIAL PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))",
    ):
        db.execute_sql(statement)
    yield db
    db.close()
    import psycopg

    with psycopg.connect(urlunparse(parsed._replace(path="/postgres", query="")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{urlparse(url).path.lstrip("/")}" WITH (FORCE)')


TABLES = ["parent", "child", "note", "emptied", "untouched"]


def _insert(db, sql):
    return db.execute_sql(sql + " RETURNING *").fetchone()


def test_emptying_truncates_only_what_a_test_changed_and_restarts_ids(scratch_postgres):
    db = scratch_postgres
    assert database.empty_tables(db, TABLES) == []  # a fresh database: nothing to do

    parent = _insert(db, "INSERT INTO parent (name) VALUES ('a')")[0]
    _insert(db, f"INSERT INTO child (parent_id) VALUES ({parent})")
    _insert(db, "INSERT INTO note (body) VALUES ('no id column')")
    gone = _insert(db, "INSERT INTO emptied DEFAULT VALUES")[0]
    db.execute_sql("DELETE FROM emptied WHERE id = %s", (gone,))  # no row left, but its id was used

    assert database.empty_tables(db, TABLES) == ["parent", "child", "note", "emptied"]
    for table in TABLES:
        assert db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    # As in a fresh database, the next rows are number 1 again.
    assert _insert(db, "INSERT INTO parent (name) VALUES ('b')")[0] == 1
    assert _insert(db, "INSERT INTO emptied DEFAULT VALUES")[0] == 1
    assert database.empty_tables(db, TABLES) == ["parent", "emptied"]
    assert database.empty_tables(db, TABLES) == []


def test_rows_written_with_their_own_ids_are_found_too(scratch_postgres):
    db = scratch_postgres
    db.execute_sql("INSERT INTO parent (id, name) VALUES (7, 'its own id: the sequence never moved')")
    assert database.empty_tables(db, TABLES) == ["parent"]
    assert db.execute_sql("SELECT count(*) FROM parent").fetchone()[0] == 0


def test_a_row_of_another_table_pointing_at_one_does_not_block_emptying(scratch_postgres):
    db = scratch_postgres
    parent = _insert(db, "INSERT INTO parent (name) VALUES ('a')")[0]
    _insert(db, f"INSERT INTO outside (parent_id) VALUES ({parent})")
    assert database.empty_tables(db, TABLES) == ["parent"]
    assert db.execute_sql("SELECT count(*) FROM parent").fetchone()[0] == 0
    assert db.execute_sql("SELECT count(*) FROM outside").fetchone()[0] == 0  # emptied with it, as TRUNCATE CASCADE
    assert _insert(db, "INSERT INTO parent (name) VALUES ('b')")[0] == 1


def test_what_a_delete_trigger_writes_while_emptying_is_emptied_too(scratch_postgres):
    # Like the view counters: deleting a row writes a counter row, whichever
    # order the tables are emptied in.
    db = scratch_postgres
    db.execute_sql("CREATE TABLE tally (n INTEGER NOT NULL)")
    db.execute_sql(
        "CREATE FUNCTION count_parent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO tally (n) VALUES (CASE WHEN TG_OP = 'DELETE' THEN -1 ELSE 1 END); RETURN NULL; END $$"
    )
    db.execute_sql(
        "CREATE TRIGGER counted AFTER INSERT OR DELETE ON parent FOR EACH ROW EXECUTE FUNCTION count_parent()"
    )
    _insert(db, "INSERT INTO parent (name) VALUES ('a')")
    for tables in (["tally", *TABLES], [*TABLES, "tally"]):
        _insert(db, "INSERT INTO parent (name) VALUES ('b')")
        assert "tally" in database.empty_tables(db, tables)
        assert db.execute_sql("SELECT count(*) FROM tally").fetchone()[0] == 0, tables
        assert db.execute_sql("SELECT count(*) FROM parent").fetchone()[0] == 0
