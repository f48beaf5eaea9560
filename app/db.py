"""The database: one peewee ``DatabaseProxy`` bound at app creation to SQLite
(WAL) or PostgreSQL, chosen by URL, plus the base model every table uses."""

import contextlib
import os
from urllib.parse import urlparse

import peewee
from flask import request
from playhouse.db_url import parse as parse_url

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


def database_from_url(url):
    """Build (not connect) a peewee database for a ``sqlite:///path`` or
    ``postgresql://`` URL."""
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        kwargs = parse_url(url)
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


def init_app(app):
    url = app.config.get("DATABASE_URL")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "helpline.sqlite3")
        app.config["DATABASE_URL"] = url
    database = database_from_url(url)
    db.initialize(database)
    app.extensions["helpline.db"] = database

    @app.before_request
    def _db_connect():
        view = app.view_functions.get(request.endpoint)
        if not getattr(view, "no_database", False):
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _db_close(exc):
        if not db.is_closed() and not db.in_transaction():
            db.close()
