"""The database: one peewee ``DatabaseProxy`` bound at app creation to SQLite
(WAL) or PostgreSQL, chosen by URL, plus the base model every table uses."""

import atexit
import contextlib
import os
from urllib.parse import urlparse

import peewee
from flask import request
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 15000),
    ("synchronous", "normal"),
    ("cache_size", -16000),
)


class BaseModel(peewee.Model):
    """Base class of every table, core and plugin: bound to the app's
    database (SQLite or PostgreSQL), snake_case table names.
    """

    class Meta:
        database = db
        legacy_table_names = False
        # save() writes only changed columns: smaller updates, and a save never
        # overwrites a column another transaction changed meanwhile (an assignee
        # claimed while a customer message is being stored).
        only_save_dirty = True


def database_from_url(url, pool_size=0):
    """Build (not connect) a peewee database for a ``sqlite:///path`` or
    ``postgresql://`` URL. On PostgreSQL ``pool_size`` > 0 keeps up to that
    many connections open for reuse (a request's ``close()`` hands its
    connection back instead of ending the session); waiting for a free one
    gives up after 30 s."""
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        kwargs = parse_url(url)
        if pool_size and int(pool_size) > 0:
            # Idle connections older than 5 minutes are replaced, so a
            # restarted server or a dropped socket is not handed out.
            return PooledPostgresqlDatabase(
                prefer_psycopg3=True, max_connections=int(pool_size), stale_timeout=300, timeout=30, **kwargs
            )
        return peewee.PostgresqlDatabase(prefer_psycopg3=True, **kwargs)
    raise ValueError(f"Unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def is_postgres(database=None):
    """True when the app runs on PostgreSQL (else SQLite): for the rare
    query that must differ, such as row locks or advisory locks.
    """
    target = database or db.obj
    return isinstance(target, peewee.PostgresqlDatabase)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite, so two
    writers queue on the busy timeout instead of failing on lock upgrade."""
    if isinstance(db.obj, peewee.SqliteDatabase) and db.transaction_depth() == 0:
        return db.atomic("IMMEDIATE")
    return db.atomic()


@contextlib.contextmanager
def connection():
    """Open a connection for a unit of work (task, CLI command) unless the
    thread already holds one, and close only what was opened here."""
    opened = db.connect(reuse_if_open=True)
    try:
        yield db
    finally:
        if opened and not db.is_closed():
            db.close()


def close_pool(database):
    """Close every idle connection of a pooled database (at exit, or when
    an app is thrown away, as the test kit does); no-op otherwise."""
    if isinstance(database, PooledDatabase):
        database.close_idle()


def init_app(app):
    url = app.config.get("DATABASE_URL")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "helpline.sqlite3")
        app.config["DATABASE_URL"] = url
    database = database_from_url(url, app.config.get("DB_POOL_SIZE") or 0)
    db.initialize(database)
    app.extensions["helpline.db"] = database
    if isinstance(database, PooledDatabase):
        atexit.register(close_pool, database)

    @app.before_request
    def _db_connect():
        view = app.view_functions.get(request.endpoint)
        if not getattr(view, "no_database", False):
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _db_close(exc):
        if not db.is_closed() and not db.in_transaction():
            db.close()
