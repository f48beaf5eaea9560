"""The plugin manager: loads the core defaults and every ``helpline.plugins``
entry point, collects what their register hooks return, and relays hook
calls to the plugins the merchant has enabled.

Enabled/disabled state lives in the ``plugin_state`` table; every change takes
the next value of a global version counter, so each process notices a toggle
with a single ``MAX(version)`` query and rebuilds its relay (no restart).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import inspect
import logging
import os

import marshmallow
import peewee
import pluggy
from flask import current_app, g, has_app_context, has_request_context, request

from . import hookspecs
from .clock import now
from .registry import EmptySettings, Registry

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "helpline.plugins"
CORE = "core"
SECRET_MASK = "********"


class PluginError(Exception):
    """A plugin operation the merchant asked for cannot be done."""


@dataclasses.dataclass
class PluginInfo:
    name: str
    status: str = "loaded"  # loaded | failed | blocked | skipped
    error: str | None = None
    version: str | None = None
    module: str | None = None
    first_party: bool = False
    description: str = ""
    default_enabled: bool = True
    settings_schema: type = EmptySettings
    migrations_dir: str | None = None
    blueprints: list = dataclasses.field(default_factory=list)
    models: list = dataclasses.field(default_factory=list)
    channels: list = dataclasses.field(default_factory=list)
    rules: list = dataclasses.field(default_factory=list)
    panels: list = dataclasses.field(default_factory=list)
    commands: list = dataclasses.field(default_factory=list)
    services: list = dataclasses.field(default_factory=list)
    ui_fragments: list = dataclasses.field(default_factory=list)

    @property
    def loaded(self):
        return self.status == "loaded"


def _as_list(result):
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


class Plugins:
    """Everything plugin-related for one app; kept at ``app.extensions['helpline.plugins']``."""

    def __init__(self, app):
        self.app = app
        self.pm = pluggy.PluginManager("helpline")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.channels = Registry("channel")
        self.rules = Registry("rule")
        self.panels = Registry("panel")
        self.task_modules: dict = {}  # module name -> plugin name
        self.blueprint_owners: dict = {}  # blueprint name -> plugin name
        self._relay_cache: dict = {}
        self._settings_cache: dict = {}
        self.strict = _truthy(app.config.get("STRICT_PLUGINS"))
        self.relay = _Relay(self)

    # --- loading ------------------------------------------------------

    def load(self):
        cfg = self.app.config
        disabled = {n.strip() for n in str(cfg.get("DISABLED_PLUGINS") or "").split(",") if n.strip()}
        safe_mode = _truthy(cfg.get("SAFE_MODE"))
        first_party = set(cfg.get("FIRST_PARTY_PLUGINS") or ())

        from . import defaults

        self._register(defaults, CORE, first_party=True)

        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self.infos:
                continue
            version = ep.dist.version if ep.dist else None
            if ep.name in disabled:
                self.pm.set_blocked(ep.name)
                self.infos[ep.name] = PluginInfo(
                    ep.name, status="blocked", version=version, error="listed in HELPLINE_DISABLED_PLUGINS"
                )
                continue
            is_first = ep.name in first_party and ep.value.startswith("plugins.")
            if safe_mode and not is_first:
                self.infos[ep.name] = PluginInfo(
                    ep.name, status="skipped", version=version, error="safe mode loads no third-party plugin"
                )
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not take the app down
                self._failed(ep.name, exc, version=version)
                continue
            self._register(obj, ep.name, version=version, first_party=is_first)
        self._finish()

    def register(self, obj, name, first_party=False):
        """Register a plugin object after startup (tests, embedding)."""
        self._register(obj, name, first_party=first_party)
        self._finish()
        return self.infos[name]

    def unregister(self, name):
        info = self.infos.pop(name, None)
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        if info:
            for bp in info.blueprints:
                self.blueprint_owners.pop(bp.name, None)
            for registry, classes in (
                (self.channels, info.channels),
                (self.rules, info.rules),
                (self.panels, info.panels),
            ):
                for cls in classes:
                    registry.pop(cls.slug, None)
        self._relay_cache.clear()

    def _failed(self, name, exc, version=None):
        if self.strict:
            raise exc
        log.exception("plugin %s failed to load", name)
        self.infos[name] = PluginInfo(name, status="failed", version=version, error=f"{type(exc).__name__}: {exc}")
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)

    def _register(self, obj, name, version=None, first_party=False):
        try:
            self.pm.register(obj, name=name)
            info = PluginInfo(
                name,
                version=version,
                first_party=first_party,
                module=getattr(obj, "__name__", type(obj).__module__),
                description=(inspect.getdoc(obj) or "").split("\n")[0],
                default_enabled=getattr(obj, "default_enabled", True),
                migrations_dir=_migrations_dir(obj),
            )
            for spec in self._call_one(name, "helpline_register_hookspecs"):
                self.pm.add_hookspecs(spec)
            info.settings_schema = next(iter(self._call_one(name, "helpline_register_settings")), EmptySettings)
            info.models = self._call_one(name, "helpline_register_models")
            info.commands = self._call_one(name, "helpline_register_commands")
            info.blueprints = self._call_one(name, "helpline_register_blueprints")
            info.services = self._call_one(name, "helpline_register_services")
            info.ui_fragments = [tuple(pair) for pair in self._call_one(name, "helpline_register_ui_fragments")]
            info.channels = self._call_one(name, "helpline_register_channels")
            info.rules = self._call_one(name, "helpline_register_rules")
            info.panels = self._call_one(name, "helpline_register_panels")
            self.blueprint_owners.update((bp.name, name) for bp in info.blueprints)
            for module in self._call_one(name, "helpline_register_tasks"):
                module = importlib.import_module(module) if isinstance(module, str) else module
                self.task_modules[module.__name__] = name
            for registry, classes in (
                (self.channels, info.channels),
                (self.rules, info.rules),
                (self.panels, info.panels),
            ):
                for cls in classes:
                    registry.add(cls, name)
        except Exception as exc:
            self._failed(name, exc, version=version)
            return
        self.infos[name] = info

    def _call_one(self, name, hook_name):
        caller = getattr(self.pm.hook, hook_name, None)
        if caller is None:
            return []
        results = []
        for impl in caller.get_hookimpls():
            if impl.plugin_name == name:
                results.extend(_as_list(impl.function()))
        return results

    def _finish(self):
        """Fail loudly on hooks that match no spec (a misspelt name)."""
        for hook_name in list(vars(self.pm.hook)):
            caller = getattr(self.pm.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                exc = pluggy.PluginValidationError(
                    impl.plugin, f"unknown hook {hook_name!r} in plugin {impl.plugin_name!r}"
                )
                self._failed(impl.plugin_name, exc)
        self._relay_cache.clear()

    # --- state ---------------------------------------------------------

    def _state(self):
        """``(version, {name: PluginState})``: one ``MAX(version)`` query per
        request (or per app context outside requests: a task run, a CLI
        command); the rows are re-read only when the version moved."""
        from .models import PluginState

        scope = _scope_cache()
        if scope is not None and "plugin_state" in scope:
            return scope["plugin_state"]
        version = PluginState.select(peewee.fn.MAX(PluginState.version)).scalar() or 0
        if getattr(self, "_state_cache", None) and self._state_cache[0] == version:
            state = self._state_cache
        else:
            state = (version, {row.name: row for row in PluginState.select()})
            self._state_cache = state
        if scope is not None:
            scope["plugin_state"] = state
        return state

    def invalidate(self):
        for scope in (request_cache(), _context_cache()):
            if scope is not None:
                scope.pop("plugin_state", None)

    def is_enabled(self, name, _rows=None):
        if name == CORE:
            return True
        info = self.infos.get(name)
        if info is None or not info.loaded:
            return False
        row = (self._state()[1] if _rows is None else _rows).get(name)
        return row.enabled if row is not None else info.default_enabled

    def disabled_names(self):
        rows = self._state()[1]
        return frozenset(n for n in self.infos if n != CORE and not self.is_enabled(n, rows))

    def set_enabled(self, name, enabled):
        info = self._info(name)
        if name == CORE:
            raise PluginError("The core cannot be disabled.")
        if not info.loaded:
            raise PluginError(f"Plugin {name!r} is {info.status}: {info.error}")
        if enabled and self.pending_migrations(name):
            raise PluginError(f"Plugin {name!r} has pending migrations; run `helpline migrate` first.")
        self._write(name, enabled=bool(enabled))

    def _write(self, name, **changes):
        from .db import write_transaction
        from .models import PluginState

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
        from .events import publish

        publish("plugins.changed", {"plugin": name})

    # --- settings ------------------------------------------------------

    def settings_schema(self, name):
        return self._info(name).settings_schema

    def get_settings(self, name):
        """The plugin's settings with defaults filled in (a fresh dict; the
        validated settings are kept per state version, so hot paths such as
        ingest do not run the schema on every call)."""
        version, rows = self._state()
        key = (name, version)
        if key not in self._settings_cache:
            if len(self._settings_cache) > 256:
                self._settings_cache.clear()
            self._settings_cache[key] = self._load_settings(name, rows.get(name))
        return dict(self._settings_cache[key])

    def _load_settings(self, name, row):
        schema = self.settings_schema(name)()
        stored = dict(row.settings) if row is not None else {}
        try:
            return schema.load(stored, unknown=marshmallow.EXCLUDE)
        except marshmallow.ValidationError as err:
            # A value that no longer validates (schema changed) falls back to
            # its default rather than breaking the plugin.
            for key in err.messages:
                stored.pop(key, None)
            return schema.load(stored, unknown=marshmallow.EXCLUDE)

    def public_settings(self, name):
        """The settings as shown to people and API clients: dumped to JSON
        types, with fields marked ``metadata={"secret": True}`` masked."""
        schema = self.settings_schema(name)()
        shown = schema.dump(self.get_settings(name))
        for key, field in schema.fields.items():
            if field.metadata.get("secret") and shown.get(field.data_key or key):
                shown[field.data_key or key] = SECRET_MASK
        return shown

    def set_settings(self, name, data, partial=True):
        """Validate and store settings; raises ``marshmallow.ValidationError``
        with per-field messages. Returns the settings with defaults. A secret
        sent back as the mask (a form or client echoing ``public_settings``)
        keeps the stored value."""
        schema = self.settings_schema(name)()
        data = {
            k: v
            for k, v in data.items()
            if not (v == SECRET_MASK and k in schema.fields and schema.fields[k].metadata.get("secret"))
        }
        row = self._state()[1].get(name)
        merged = {**(row.settings if row is not None and partial else {}), **data}
        try:
            loaded = schema.load(merged)
        except marshmallow.ValidationError as err:
            raise marshmallow.ValidationError(field_messages(err.messages)) from None
        self._write(name, settings=schema.dump(loaded))
        return self.get_settings(name)

    def _info(self, name):
        info = self.infos.get(name)
        if info is None:
            raise PluginError(f"No plugin named {name!r}.")
        return info

    # --- migrations ----------------------------------------------------

    def migration_sources(self):
        """``[(name, directory)]``: the core first, then each loaded plugin."""
        import migrations as core_migrations

        sources = [(CORE, os.path.dirname(core_migrations.__file__))]
        for name, info in sorted(self.infos.items()):
            if name != CORE and info.loaded and info.migrations_dir:
                sources.append((name, info.migrations_dir))
        return sources

    def runner(self, name, directory):
        from playhouse.migrations import Runner

        from .db import db

        return Runner(db.obj, directory=directory, table_name=f"migrations_{name}")

    def pending_migrations(self, name=None):
        pending = []
        for source, directory in self.migration_sources():
            if name is not None and source != name:
                continue
            for m in self.runner(source, directory).status():
                if not m.applied and m.path:
                    pending.append((source, m.name))
        return pending

    def migrate(self):
        applied = []
        for source, directory in self.migration_sources():
            applied += [(source, n) for n in self.runner(source, directory).up()]
        return applied

    def all_models(self):
        from .models import CORE_MODELS

        models = list(CORE_MODELS)
        for name, info in self.infos.items():
            if name != CORE and info.loaded:
                models += info.models
        return models

    # --- lookups ---------------------------------------------------------

    def plugin_for_module(self, module_name):
        """The plugin a dotted module name belongs to (for task names): the
        plugin that returned it from ``helpline_register_tasks``, else the
        plugin whose package contains it, else the core."""
        if module_name in self.task_modules:
            return self.task_modules[module_name]
        best = None
        for name, info in self.infos.items():
            mod = info.module or ""
            if mod and (module_name == mod or module_name.startswith(mod + ".")):
                if best is None or len(mod) > len(self.infos[best].module):
                    best = name
        return best or CORE

    def channel(self, slug):
        """An instance of the channel with its settings, or None when the
        channel is unknown or its plugin disabled."""
        cls = self.channels.get(slug)
        if cls is None or not self.is_enabled(cls.plugin):
            return None
        return cls(settings=self.get_settings(cls.plugin))

    def enabled_panels(self):
        return [cls() for cls in self.panels.values() if self.is_enabled(cls.plugin)]

    def ui_fragments(self, slot):
        """Template names enabled plugins contribute to a UI slot."""
        return [
            template
            for name, info in self.infos.items()
            if info.loaded and self.is_enabled(name)
            for fragment_slot, template in info.ui_fragments
            if fragment_slot == slot
        ]

    def start_services(self):
        """Start the enabled plugins' background services (``helpline run``);
        returns their stop callables."""
        stops = []
        for name, info in self.infos.items():
            if info.loaded and self.is_enabled(name):
                for start in info.services:
                    stop = start(self.app)
                    if stop is not None:
                        stops.append(stop)
        return stops

    def blueprint_plugin(self, blueprint_name):
        return self.blueprint_owners.get(blueprint_name)


class _Relay:
    """``plugins.relay.helpline_x(...)`` calls only enabled plugins' hooks."""

    def __init__(self, plugins):
        self._plugins = plugins

    def __getattr__(self, hook_name):
        plugins = self._plugins
        disabled = plugins.disabled_names()
        key = (hook_name, disabled)
        caller = plugins._relay_cache.get(key)
        if caller is None:
            remove = [p for p in (plugins.pm.get_plugin(n) for n in disabled) if p is not None]
            caller = plugins.pm.subset_hook_caller(hook_name, remove_plugins=remove)
            plugins._relay_cache[key] = caller
        return caller


def _migrations_dir(obj):
    path = getattr(obj, "migrations_dir", None)
    if path:
        return path
    if inspect.ismodule(obj) and getattr(obj, "__file__", None) and obj.__file__.endswith("__init__.py"):
        candidate = os.path.join(os.path.dirname(obj.__file__), "migrations")
        if os.path.isdir(candidate):
            return candidate
    return None


def field_messages(messages):
    """ValidationError messages as ``{field: [text, ...]}`` with plain strings.
    Marshmallow keeps a translated (lazy) message as one bare object rather
    than a list, which templates would iterate letter by letter and JSON
    cannot encode; every consumer gets the normalized form from here."""
    if isinstance(messages, dict):
        return {
            key: field_messages(value)
            if isinstance(value, dict)
            else [str(m) for m in (value if isinstance(value, (list, tuple)) else [value])]
            for key, value in messages.items()
        }
    return {"_schema": [str(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]}


def _truthy(value):
    return str(value).lower() in ("1", "true", "yes", "on")


def get_plugins(app=None) -> Plugins:
    return (app or current_app).extensions["helpline.plugins"]


def hook():
    """The relay of the current app: call hooks of enabled plugins only."""
    return get_plugins().relay


def _context_cache():
    """A cache for one unit of work outside requests (a task run, an
    after-commit callback), opted into with :func:`start_unit_of_work`.
    Long-lived contexts (a shell, a test) never cache, so they always see
    toggles made elsewhere."""
    if not has_app_context():
        return None
    return g.get("_helpline_cache")


def start_unit_of_work():
    g._helpline_cache = {}


def _scope_cache():
    scope = request_cache()
    return scope if scope is not None else _context_cache()


def request_cache():
    """A dict living as long as the current request (None outside one).
    Not ``g``: tests reuse one app context across many requests."""
    if not has_request_context():
        return None
    return request.environ.setdefault("helpline.cache", {})
