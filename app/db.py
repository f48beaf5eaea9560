"""The database: one peewee ``DatabaseProxy`` bound at app creation to SQLite
(WAL) or PostgreSQL, chosen by URL, plus the base model every table uses.

On SQLite, writers take turns on a :class:`WriterLock` (a mutex for this
process's threads, an ``flock`` on ``<database>-writer`` for other
processes) before ``BEGIN IMMEDIATE``: a waiting writer wakes as soon as the
lock is free instead of sleeping in SQLite's busy handler, whose back-off
grows to 100 ms per try. With ``SQLITE_KEEP_CONNECTIONS`` each thread keeps
its connection between requests (no connect, PRAGMAs and WAL checkpoint per
request)."""

import atexit
import contextlib
import datetime as dt
import fcntl
import os
import threading
import weakref
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


class WriterLock:
    """One writer at a time on an SQLite file: a mutex between this
    process's threads, then an exclusive ``flock`` on ``path`` between
    processes (gunicorn workers, ``helpline worker``, the SMTP listener).
    Both wake the next waiter as soon as the holder lets go. ``path`` None
    (an in-memory database) uses the mutex only. ``timeout`` bounds the wait
    for the mutex like SQLite's busy timeout; the ``flock`` wait is not
    bounded (the kernel releases it when a holder process dies)."""

    def __init__(self, path=None, timeout=15.0):
        self.path = path
        self.timeout = timeout
        self._mutex = threading.Lock()
        self._local = threading.local()
        self._fd = None
        self._pid = None
        _LOCKS.add(self)

    def held(self):
        """True when the calling thread holds the lock."""
        return getattr(self._local, "held", False)

    def acquire(self):
        if not self._mutex.acquire(timeout=self.timeout):
            raise peewee.OperationalError("database is locked (waited for the writer lock)")
        try:
            if self.path:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise
        self._local.held = True

    def release(self):
        """Let the next writer in; no-op when this thread does not hold it."""
        if not self.held():
            return
        self._local.held = False
        try:
            if self.path and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def _file(self):
        # flock belongs to the open file, which a forked child shares with
        # its parent: each process opens its own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def _after_fork(self):
        self._mutex = threading.Lock()  # a thread of the parent may have held it
        self._local = threading.local()
        if self._fd is not None:
            # The parent's open file: closing this copy keeps its lock.
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None


_LOCKS = weakref.WeakSet()
_KEEPING = weakref.WeakSet()  # SQLite databases whose threads keep their connection
# Connections a forked child inherited: kept referenced, never used nor
# closed there (SQLite connections must not cross a fork).
_INHERITED = []


def _after_fork_in_child():
    for lock in list(_LOCKS):
        lock._after_fork()
    for database in list(_KEEPING):
        # The forking thread's kept connection belongs to the parent.
        conn = getattr(database._state, "conn", None)
        if conn is not None:
            _INHERITED.append(conn)
            database.dispose()


os.register_at_fork(after_in_child=_after_fork_in_child)


class SqliteDatabase(peewee.SqliteDatabase):
    """peewee's SQLite database whose write transactions (``BEGIN
    IMMEDIATE`` or ``EXCLUSIVE``) first take the :class:`WriterLock`,
    released as soon as the transaction commits or rolls back (before
    after-commit callbacks run, which may write again)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        path = None if database in (":memory:", "") or str(database).startswith("file:") else database + "-writer"
        self.writer_lock = WriterLock(path, timeout=float(kwargs.get("timeout") or 15))

    def begin(self, lock_type=None):
        lock_type = (lock_type or self._lock_type or "").upper()
        if lock_type not in ("IMMEDIATE", "EXCLUSIVE") or self.writer_lock.held():
            return super().begin(lock_type or None)
        self.writer_lock.acquire()
        try:
            super().begin(lock_type)
        except BaseException:
            self.writer_lock.release()
            raise

    def commit(self):
        try:
            super().commit()
        finally:
            self.writer_lock.release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.writer_lock.release()

    def _close(self, conn):
        self.writer_lock.release()
        super()._close(conn)


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
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False)
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


def _stand_in(value, n):
    """The ``n``-th placeholder of a query built once for all values: of
    ``value``'s type (so the fields convert it as they would the value)
    and equal to no real parameter."""
    if isinstance(value, bool):
        raise TypeError("a boolean belongs to a query's shape, not to its parameters")
    if isinstance(value, int):
        return -(2**62) + n  # no id, count or limit
    if isinstance(value, str):
        return f"\x00helpline-param-{n}\x00"
    if isinstance(value, dt.datetime):
        return dt.datetime(1, 1, 1) + dt.timedelta(microseconds=n + 1)
    raise TypeError(f"cannot stand in for a {type(value).__name__} parameter")


def _key(param):
    try:
        hash(param)
    except TypeError:  # a list or dict parameter: a constant of the query
        return None
    return (type(param), param)


class ShapedStatement:
    """A hot query whose SQL text is built once per shape and database,
    then only executed: peewee spends more CPU building the text of a small
    query than SQLite spends running it (docs/benchmarks.md, "Inbound over
    HTTP" and "List requests: CPU per request"). The shape is what decides
    the text (which clauses it has, how many values each ``IN`` list holds);
    a query with one text for all its values (a lookup by key) has the
    shape ``None``. The rows are built as the peewee query would build them
    (joined models included; ``.objects()`` puts every column on one model).

    ``build(shape, values)`` returns the peewee query; ``shape`` is any
    hashable that decides its clauses, ``values`` a dict of ints, strings
    and datetimes (or lists of them) that it binds as parameters. It must
    bind each value as given: one it derives another from (``value + 1``,
    ``value.lower()``) cannot be told apart from a constant, so derive it
    before (building such a query raises ``ValueError``).
    ``rows(shape, values)`` runs it and returns its rows;
    ``first(shape, values)`` the first row or None.
    """

    def __init__(self, build):
        self._build = build
        self._compiled = weakref.WeakKeyDictionary()  # database -> {key: (query, sql, slots)}

    def rows(self, shape, values):
        """``list(build(shape, values))``, without building the SQL again."""
        key = (shape, tuple((k, len(v) if isinstance(v, list) else -1) for k, v in sorted(values.items())))
        compiled = self._compiled.setdefault(db.obj, {})
        if key not in compiled:
            compiled[key] = self._compile(shape, values)
        query, sql, slots = compiled[key]
        params = [
            constant if name is None else values[name] if index is None else values[name][index]
            for name, index, constant in slots
        ]
        # peewee's own row building for this query's columns and joins.
        return list(query._get_cursor_wrapper(db.execute_sql(sql, params)))

    def first(self, shape, values):
        """The first of :meth:`rows`, or None (give the query a ``LIMIT 1``
        when it may match more than one row)."""
        rows = self.rows(shape, values)
        return rows[0] if rows else None

    def _compile(self, shape, values):
        stand_ins, slot_of = {}, {}
        for name, value in values.items():
            items = value if isinstance(value, list) else [value]
            made = [_stand_in(item, len(slot_of) + i) for i, item in enumerate(items)]
            for i, stand_in in enumerate(made):
                slot_of[_key(stand_in)] = (name, i if isinstance(value, list) else None)
            stand_ins[name] = made if isinstance(value, list) else made[0]
        query = self._build(shape, stand_ins)
        sql, params = query.sql()
        slots = [(*slot_of[_key(p)], None) if _key(p) in slot_of else (None, None, p) for p in params]
        missing = set(slot_of.values()) - {(name, index) for name, index, _ in slots}
        if missing:
            raise ValueError(f"The query does not bind {sorted(missing)} as given: derive those values before.")
        return query, sql, slots


def is_postgres(database=None):
    """True when the app runs on PostgreSQL (else SQLite): for the rare
    query that must differ, such as row locks or advisory locks.
    """
    target = database or db.obj
    return isinstance(target, peewee.PostgresqlDatabase)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite (the
    :class:`WriterLock`, then ``BEGIN IMMEDIATE``), so writers queue instead
    of failing on lock upgrade. Do the reads that need no lock before it."""
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


_POOLS = weakref.WeakSet()  # every pooled database built in this process


def pools():
    """The pooled databases of this process's apps that are still alive."""
    return set(_POOLS)


def close_pool(database):
    """Close every connection of a pooled database, idle or still checked
    out (a thread that ended without handing its connection back would
    otherwise keep a server session open for the life of the process).
    For when nothing uses the database any more: at exit, before a fork,
    when an app is thrown away (the test kit does it after every test).
    No-op for other databases."""
    if isinstance(database, PooledDatabase):
        database.close_all()


@atexit.register
def _close_every_pool():
    for database in pools():
        close_pool(database)


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
        _POOLS.add(database)  # weakly: a thrown-away app's pool can go

    sqlite = isinstance(database, peewee.SqliteDatabase)
    if sqlite:
        _KEEPING.add(database)

    @app.before_request
    def _db_connect():
        view = app.view_functions.get(request.endpoint)
        if not getattr(view, "no_database", False):
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _db_close(exc):
        # SQLite: a thread keeps its connection for its next request (opening
        # one costs a connect, five PRAGMAs and, on close, a WAL checkpoint).
        if db.is_closed() or (sqlite and app.config.get("SQLITE_KEEP_CONNECTIONS")):
            return
        if not db.in_transaction():
            db.close()
