"""The merchant's choice per plugin (``plugin_state``: enabled, settings,
version) and what follows from it: which plugins are live.

Every change takes the next value of a global version counter (``version``
is unique, so two concurrent writers cannot share one; the loser retries).
A process reads ``MAX(version)`` once per unit of work and re-reads the rows,
and which plugins still have migrations to apply, only when it moved.
``helpline migrate`` takes a version too, so every process notices that a
plugin's migrations were applied.
"""

from __future__ import annotations

import typing

import peewee

from ..bus import publish
from ..clock import now
from ..db import ShapedStatement, write_transaction
from ..models import PluginState
from .cache import context_cache, request_cache, scope_cache
from .info import CORE, PluginError

MIGRATIONS_PENDING = "migrations pending"


def answers_while_off(view):
    """Mark a plugin view that keeps answering while its plugin is turned
    off (every other route of a disabled plugin answers 404): read-only
    pages such as a preview of what the plugin would do once switched on.
    It still answers 404 while the plugin's migrations are pending."""
    view.helpline_answers_while_off = True
    return view


# Read once per request: the SQL is built once.
_LATEST_VERSION = ShapedStatement(lambda _shape, _v: PluginState.select(peewee.fn.MAX(PluginState.version)).tuples())


class State(typing.NamedTuple):
    version: int
    rows: dict  # name -> PluginState
    pending: frozenset  # names of plugins with migrations not applied yet


class StateStore:
    """The state part of :class:`app.plugins.Plugins`. Uses ``infos``,
    ``pending_plugins()`` (migrations) and ``_info(name)`` of the manager."""

    _state_cache: State | None = None

    def _state(self) -> State:
        scope = scope_cache()
        if scope is not None and "plugin_state" in scope:
            return scope["plugin_state"]
        version = _LATEST_VERSION.rows(None, {})[0][0] or 0
        state = self._state_cache
        if state is None or state.version != version:
            rows = {row.name: row for row in PluginState.select()}
            state = self._state_cache = State(version, rows, self.pending_plugins())
        if scope is not None:
            scope["plugin_state"] = state
        return state

    def state_version(self) -> int:
        """The plugin-state version this request or unit of work sees: it
        changes with every toggle, settings change and ``helpline migrate``,
        so a cache keyed on it follows them in every process."""
        return self._state().version

    def invalidate(self):
        """Forget the state cached for the current request or unit of work."""
        for scope in (request_cache(), context_cache()):
            if scope is not None:
                scope.pop("plugin_state", None)

    def forget_state(self):
        """Read everything again on next use (a plugin was added or removed)."""
        self._state_cache = None
        self.invalidate()

    def is_enabled(self, name, state=None):
        """Is the plugin live: loaded, its migrations applied, and enabled by
        the merchant (or by its default when never toggled)?"""
        if name == CORE:
            return True
        info = self.infos.get(name)
        if info is None or not info.loaded:
            return False
        state = state or self._state()
        if name in state.pending:
            return False
        row = state.rows.get(name)
        return row.enabled if row is not None else info.default_enabled

    def status(self, name):
        """One word (or two) for people: ``core``, ``enabled``, ``disabled``,
        ``migrations pending``, or how loading went (``failed``, ``blocked``,
        ``skipped``)."""
        info = self._info(name)
        if name == CORE:
            return CORE
        if not info.loaded:
            return info.status
        state = self._state()
        if name in state.pending:
            return MIGRATIONS_PENDING
        return "enabled" if self.is_enabled(name, state) else "disabled"

    def disabled_names(self):
        """Names of the plugins that are not live, as a frozenset."""
        state = self._state()
        # Asked on every event fired: a sweep fires thousands in one unit of
        # work, so its answer is kept with that unit's state snapshot.
        scope = scope_cache()
        cached = scope.get("disabled_names") if scope is not None else None
        if cached is not None and cached[0] is state:
            return cached[1]
        names = frozenset(n for n in self.infos if n != CORE and not self.is_enabled(n, state))
        if scope is not None:
            scope["disabled_names"] = (state, names)
        return names

    def set_enabled(self, name, enabled):
        info = self._info(name)
        if name == CORE:
            raise PluginError("The core cannot be disabled.")
        if not info.loaded:
            raise PluginError(f"Plugin {name!r} is {info.status}: {info.error}")
        if enabled and self.pending_migrations(name):
            raise PluginError(f"Plugin {name!r} has pending migrations; run `helpline migrate` first.")
        self._write(name, enabled=bool(enabled))
        from ..services import audit

        audit.record("plugin.enabled" if enabled else "plugin.disabled", target=name)

    def _write(self, name, **changes):
        for _ in range(5):
            try:
                with write_transaction():
                    version = (PluginState.select(peewee.fn.MAX(PluginState.version)).scalar() or 0) + 1
                    row = PluginState.get_or_none(PluginState.name == name)
                    if row is None:
                        row = PluginState(name=name, enabled=self.infos[name].default_enabled, settings={})
                    for key, value in changes.items():
                        setattr(row, key, value)
                    row.version = version
                    row.updated_at = now()
                    row.save()
                break
            except peewee.IntegrityError:  # another process took that version
                continue
        else:
            raise PluginError("Could not save plugin state, try again.")
        self.invalidate()
        publish("plugins.changed", {"plugin": name})
