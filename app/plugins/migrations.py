"""Migrations per source: the core's ``migrations/`` and a ``migrations/``
folder beside each loaded plugin's ``__init__.py``, each with its own
history table ``migrations_<name>``, applied by ``helpline migrate``
(peewee's ``playhouse.migrations`` runner). Nothing here runs DDL on its own."""

from __future__ import annotations

import collections
import functools
import inspect
import operator
import os

import peewee
from playhouse.migrations import Runner

import migrations as core_migrations

from ..db import db
from .info import CORE


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
        for source, directory in self.migration_sources():
            applied += [(source, n) for n in self.runner(source, directory).up()]
        if applied:
            # Takes a state version, so every process re-reads which plugins
            # are pending and the migrated ones go live without a restart.
            self._write(CORE)
        return applied

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
