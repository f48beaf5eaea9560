"""Migrations per source: the core's ``migrations/`` and a ``migrations/``
folder beside each loaded plugin's ``__init__.py``, each with its own
history table ``migrations_<name>``, applied by ``helpline migrate``
(peewee's ``playhouse.migrations`` runner). Nothing here runs DDL on its own."""

from __future__ import annotations

import collections
import contextlib
import fcntl
import functools
import inspect
import operator
import os

import peewee
from playhouse.migrations import Runner

import migrations as core_migrations

from ..db import db, is_postgres
from .info import CORE

# pg_advisory_lock key of ``helpline migrate`` (any constant unique to us).
MIGRATE_LOCK_KEY = 0x68656C70  # "help"


@contextlib.contextmanager
def migration_lock():
    """Hold the deployment-wide migration lock: two hosts running ``helpline
    migrate`` at once take turns, and the second finds nothing left to apply
    instead of failing on the history table's unique name. PostgreSQL: a
    session advisory lock. SQLite: an exclusive ``flock`` on a file beside
    the database (a transaction cannot be held across migrations that open
    their own)."""
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
        return
    path = db.obj.database
    if not path or path == ":memory:" or path.startswith("file:"):
        yield  # one process owns an in-memory database
        return
    with open(f"{path}.migrate-lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class MigrationSet:
    """The migrations part of :class:`app.plugins.Plugins`. Uses ``infos``
    and ``_write()`` (state) of the manager."""

    def migration_sources(self):
        """``[(name, directory)]``: the core first, then each loaded plugin."""
        sources = [(CORE, os.path.dirname(core_migrations.__file__))]
        for name, info in sorted(self.infos.items()):
            if name != CORE and info.loaded and info.migrations_dir:
                sources.append((name, info.migrations_dir))
        return sources

    def runner(self, name, directory):
        return Runner(db.obj, directory=directory, table_name=f"migrations_{name}")

    def pending_migrations(self, name=None):
        """``[(source, migration name)]`` not applied yet, of one source or all."""
        pending = []
        for source, directory in self.migration_sources():
            if name is not None and source != name:
                continue
            for m in self.runner(source, directory).status():
                if not m.applied and m.path:
                    pending.append((source, m.name))
        return pending

    def migrate(self):
        """Apply every pending migration, the core's first; returns
        ``[(source, migration name)]`` applied."""
        applied = []
        with migration_lock():
            for source, directory in self.migration_sources():
                applied += [(source, n) for n in self.runner(source, directory).up()]
        if applied:
            # Takes a state version, so every process re-reads which plugins
            # are pending and the migrated ones go live without a restart.
            self._write(CORE)
        return applied

    def core_pending(self):
        """Whether the core's schema is behind its migration files: the check
        every web request relies on (see :mod:`app.schema`), so it costs one
        small query and reads the files once per process."""
        directory = os.path.dirname(core_migrations.__file__)
        names = self._migration_names(CORE, directory)
        if "migrations_core" not in set(db.get_tables()):
            return bool(names)
        table = peewee.Table("migrations_core").bind(db.obj)
        applied = {name for (name,) in table.select(peewee.Column(table, "name")).tuples()}
        return bool(names - applied)

    def pending_plugins(self):
        """Names of loaded plugins (not the core) with a migration file that
        is not applied: one query for the tables, one for every history."""
        files = {}
        for name, directory in self.migration_sources():
            if name != CORE:
                names = self._migration_names(name, directory)
                if names:
                    files[name] = names
        if not files:
            return frozenset()
        tables = set(db.get_tables())
        pending = {name for name in files if f"migrations_{name}" not in tables}
        queries = []
        for name in sorted(files.keys() - pending):
            table = peewee.Table(f"migrations_{name}").bind(db.obj)
            queries.append(table.select(peewee.Value(name).alias("source"), peewee.Column(table, "name")))
        applied = collections.defaultdict(set)
        if queries:
            for source, migration in functools.reduce(operator.add, queries).tuples():
                applied[source].add(migration)
        pending.update(name for name, names in files.items() if names - applied[name])
        return frozenset(pending)

    def _migration_names(self, name, directory):
        # Migration files change only with a deploy (and a restart): read once.
        names = self._migration_files.get(directory)
        if names is None:
            names = self._migration_files[directory] = frozenset(
                m.name for m in self.runner(name, directory).migrations()
            )
        return names


def migrations_dir(obj):
    """A plugin's migrations folder: its ``migrations_dir`` attribute, or
    ``migrations/`` beside a package plugin's ``__init__.py``."""
    path = getattr(obj, "migrations_dir", None)
    if path:
        return path
    if inspect.ismodule(obj) and getattr(obj, "__file__", None) and obj.__file__.endswith("__init__.py"):
        candidate = os.path.join(os.path.dirname(obj.__file__), "migrations")
        if os.path.isdir(candidate):
            return candidate
    return None
