"""Test databases: a migrated SQLite template copied per test, or one
PostgreSQL database (created by the suite) emptied between tests. Under
pytest-xdist each worker has its own (``<name>_gw0``, ``<name>_gw1``...)."""

import os
import re
from urllib.parse import urlparse, urlunparse


def backend_url():
    """The PostgreSQL URL under test, from HELPLINE_DATABASE_URL, or None
    for SQLite."""
    url = os.environ.get("HELPLINE_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def worker_url(url, worker):
    """``url`` with the database name suffixed by the pytest-xdist worker id
    (``helpline_test`` -> ``helpline_test_gw0``); unchanged when it already
    carries that suffix, so configuring twice changes nothing."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if re.search(rf"_{re.escape(worker)}$", name):
        return url
    return urlunparse(parsed._replace(path=f"/{name}_{worker}"))


def isolate_worker(worker):
    """Point this xdist worker process at a PostgreSQL database of its own,
    by rewriting ``HELPLINE_DATABASE_URL`` in the environment, so that the
    kit, the tests and the ``helpline`` commands they start all agree. The
    Redis prefix, derived from the database, then differs per worker too, so
    workers sharing one Redis never see each other's queue, events or rate
    limits. SQLite needs nothing: every test has its own file."""
    url = backend_url()
    if worker and url:
        os.environ["HELPLINE_DATABASE_URL"] = worker_url(url, worker)


def ensure_postgres_database(url):
    """Create the database named in ``url`` if it does not exist."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{name}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it in between


def reset_postgres_schema(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def migrate_fresh(config):
    """Build an app on ``config`` and apply every migration."""
    from .. import create_app
    from ..db import connection

    app = create_app(config)
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].migrate()
    app.extensions["helpline.db"].close()
    return app


def _changes(database, tables):
    """``(dirty, sequences)``: those of ``tables`` holding a row or whose
    identity sequence handed out a value since its last restart (a row
    inserted then deleted, a rolled-back insert), and those used sequences.
    One query."""
    # Model table names are identifiers of our own (no quote characters).
    holding = " UNION ALL ".join(
        f"SELECT '{table}'::text, NULL::text WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables
    )
    # pg_sequences.last_value is NULL until nextval() after a (re)start.
    counting = (
        "SELECT t.relname::text, s.sequencename::text FROM pg_sequences s"
        " JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = s.schemaname::regnamespace"
        " JOIN pg_depend d ON d.objid = sc.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
        " JOIN pg_class t ON t.oid = d.refobjid"
        " WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL"
    )
    wanted = set(tables)
    found, sequences = set(), []
    for table, sequence in database.execute_sql(f"{holding} UNION ALL {counting}").fetchall():
        if table in wanted:
            found.add(table)
            if sequence:
                sequences.append(sequence)
    return [table for table in tables if table in found], sorted(set(sequences))


def _holding(database, tables):
    """Those of ``tables`` holding a row. One query."""
    holding = " UNION ALL ".join(f"SELECT '{table}'::text WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables)
    found = {row[0] for row in database.execute_sql(holding).fetchall()}
    return [table for table in tables if table in found]


def dirty_tables(database, tables):
    """Those of ``tables`` (in PostgreSQL ``database``, a peewee database) a
    test may have changed: holding a row, or with an identity sequence that
    has handed out a value since its last restart."""
    return _changes(database, tables)[0] if tables else []


def _children_first(database, tables):
    """``tables`` ordered so that a table referencing another by foreign key
    comes before it (rows are deleted in that order), or None when their
    references form a cycle."""
    import graphlib

    chosen = set(tables)
    graph = {table: set() for table in tables}  # table -> tables to empty before it
    rows = database.execute_sql(
        "SELECT child.relname::text, parent.relname::text FROM pg_constraint c"
        " JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid"
        " WHERE c.contype = 'f' AND child.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    for child, parent in rows:
        if child != parent and child in chosen and parent in chosen:
            graph[parent].add(child)
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return None


def empty_tables(database, tables):
    """Leave ``tables`` as a fresh database has them: no rows, identity
    sequences restarted (a test may rely on its first ticket being 1).

    Only the dirty ones are touched, and with ``DELETE`` rather than
    ``TRUNCATE``: on the few rows a test writes, a delete is far cheaper than
    truncating, which replaces every file of the table, its indexes and (by
    cascade) of every table referencing it. A row of another table still
    referencing one of them (a test's own table) makes it fall back to
    ``TRUNCATE ... CASCADE``. Returns the dirty tables' names."""
    import peewee

    if not tables:
        return []
    dirty, sequences = _changes(database, tables)
    if not dirty:
        return []
    order = _children_first(database, dirty)
    if order is not None:
        try:
            with database.atomic():
                for table in order:
                    database.execute_sql(f'DELETE FROM "{table}"')
                # Deleting fires triggers that may write other tables (the view
                # counters): empty what they wrote too.
                for _ in range(3):
                    left = _holding(database, tables)
                    if not left:
                        break
                    for table in _children_first(database, left) or left:
                        database.execute_sql(f'DELETE FROM "{table}"')
                for sequence in sequences:
                    database.execute_sql(f'ALTER SEQUENCE "{sequence}" RESTART')
            return dirty
        except peewee.IntegrityError:
            pass  # rolled back: truncate instead
    names = ", ".join(f'"{table}"' for table in dirty)
    database.execute_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return dirty


def truncate_all(app):
    """Empty every model's table (core and loaded plugins) before a test."""
    from ..db import db

    models = app.extensions["helpline.plugins"].all_models()
    return empty_tables(db, [m._meta.table_name for m in models])
