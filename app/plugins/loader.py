"""The plugin manager: loads the core's own plugin and every
``helpline.plugins`` entry point, collects what their register hooks return,
and answers what is installed and live. One per app, at
``app.extensions['helpline.plugins']``.

State, settings and migrations are parts of the manager kept in their own
modules (:mod:`.state`, :mod:`.settings`, :mod:`.migrations`); calling hooks
is :mod:`.hooks`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import re
import warnings

import pluggy
from flask import current_app

from .. import hookspecs
from ..i18n import refresh_plugin_catalogs, translations_dir
from ..models import CORE_MODELS
from ..registry import EmptySettings, Registry
from .hooks import Relay, call_for_plugin, isolate_event_impls
from .info import CORE, PluginError, PluginInfo, PluginLoadError
from .migrations import MigrationSet, migrations_dir
from .settings import SettingsStore
from .state import StateStore

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "helpline.plugins"
# First-party plugins are the entry points Helpline's own distribution declares.
CORE_DISTRIBUTION = "helpline"


def plugin_description(obj):
    """What a plugin does, for merchants: its ``description`` attribute (a
    translatable text), else its docstring's first paragraph, whole."""
    text = getattr(obj, "description", None)
    if text:
        return text
    paragraph = (inspect.getdoc(obj) or "").split("\n\n")[0]
    return " ".join(paragraph.split())


class Plugins(StateStore, SettingsStore, MigrationSet):
    """Everything plugin-related for one app."""

    def __init__(self, app):
        self.app = app
        self.pm = pluggy.PluginManager("helpline")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.channels = Registry("channel")
        self.rules = Registry("rule")
        self.panels = Registry("panel")
        self.commerce_providers = Registry("commerce provider")
        self.task_modules: dict = {}  # module name -> plugin name
        self.blueprint_owners: dict = {}  # blueprint name -> plugin name
        self._settings_cache: dict = {}
        self._migration_files: dict = {}
        self.strict = _truthy(app.config.get("STRICT_PLUGINS"))
        self.relay = Relay(self)

    # --- loading ------------------------------------------------------

    def load(self, core):
        """Register ``core`` (the core's own plugin, ``app.defaults``) as
        ``core``, then every entry point of the ``helpline.plugins`` group,
        honouring ``DISABLED_PLUGINS``, ``ONLY_PLUGINS`` and ``SAFE_MODE``."""
        cfg = self.app.config
        disabled = _names(cfg.get("DISABLED_PLUGINS"))
        only = _names(cfg.get("ONLY_PLUGINS"))
        safe_mode = _truthy(cfg.get("SAFE_MODE"))

        self._register(core, CORE, first_party=True)

        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self.infos:
                continue
            version = ep.dist.version if ep.dist else None
            first_party = ep.dist is not None and _canonical(ep.dist.name) == CORE_DISTRIBUTION
            status = reason = None
            if ep.name in disabled:
                self.pm.set_blocked(ep.name)
                status, reason = "blocked", "listed in HELPLINE_DISABLED_PLUGINS"
            elif only and ep.name not in only:
                status, reason = "skipped", "not listed in HELPLINE_ONLY_PLUGINS"
            elif safe_mode and not first_party:
                status, reason = "skipped", "safe mode loads no third-party plugin"
            if status:
                self.infos[ep.name] = PluginInfo(
                    ep.name, status=status, error=reason, version=version, first_party=first_party
                )
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not take the app down
                self.infos[ep.name] = PluginInfo(ep.name, version=version, first_party=first_party, module=ep.module)
                self._failed(ep.name, exc)
                continue
            self._register(obj, ep.name, version=version, first_party=first_party)
        self._finish()

    def register(self, obj, name, first_party=False):
        """Register a plugin object after startup (tests, embedding)."""
        self._register(obj, name, first_party=first_party)
        self._finish()
        return self.infos[name]

    def unregister(self, name):
        """Remove a plugin and everything its register hooks contributed."""
        info = self.infos.pop(name, None)
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        if info:
            self._migration_files.pop(info.migrations_dir, None)
            for bp in info.blueprints:
                if self.blueprint_owners.get(bp.name) == name:
                    del self.blueprint_owners[bp.name]
            for registry, cls in self._classes(info):
                if registry.get(cls.slug) is cls and getattr(cls, "plugin", None) == name:
                    del registry[cls.slug]
        for module in [m for m, owner in self.task_modules.items() if owner == name]:
            del self.task_modules[module]
        refresh_plugin_catalogs(self.app, self)
        self.relay.clear()
        self.forget_state()

    def _failed(self, name, exc):
        """Mark a plugin failed (keeping what is known of it: version,
        module) and forget what it registered; under strict mode raise a
        :class:`PluginLoadError` naming it instead."""
        error = PluginLoadError(name, exc)
        if self.strict:
            raise error from exc
        # A traceback helps only when the plugin's own code raised; a check
        # of ours (an unknown hook) is explained by its message alone.
        log.error("%s", error, exc_info=exc if exc.__traceback__ is not None else None)
        known = self.infos.get(name) or PluginInfo(name)
        self.unregister(name)
        self.infos[name] = PluginInfo(
            name,
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            version=known.version,
            module=known.module,
            first_party=known.first_party,
            description=known.description,
            display_name=known.display_name,
        )

    def _register(self, obj, name, version=None, first_party=False):
        info = PluginInfo(
            name,
            version=version,
            first_party=first_party,
            module=getattr(obj, "__name__", type(obj).__module__),
            description=plugin_description(obj),
            display_name=getattr(obj, "display_name", "") or "",
            default_enabled=getattr(obj, "default_enabled", True),
            migrations_dir=migrations_dir(obj),
            translations_dir=translations_dir(obj),
        )
        self.infos[name] = info
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", hookspecs.HookDeprecationWarning)
                self.pm.register(obj, name=name)
                for spec in self._call(name, "helpline_register_hookspecs"):
                    self.pm.add_hookspecs(spec)
            _relay_warnings(caught)
            info.settings_schema = next(iter(self._call(name, "helpline_register_settings")), EmptySettings)
            info.models = self._call(name, "helpline_register_models")
            info.commands = self._call(name, "helpline_register_commands")
            info.blueprints = self._call(name, "helpline_register_blueprints")
            info.services = self._call(name, "helpline_register_services")
            info.streams = self._call(name, "helpline_register_streams")
            info.ui_fragments = [tuple(pair) for pair in self._call(name, "helpline_register_ui_fragments")]
            info.channels = self._call(name, "helpline_register_channels")
            info.rules = self._call(name, "helpline_register_rules")
            info.panels = self._call(name, "helpline_register_panels")
            info.settings_sections = self._call(name, "helpline_register_settings_sections")
            for section in info.settings_sections:
                if not getattr(section, "slug", "") or not getattr(section, "template", None):
                    raise ValueError(f"settings section {section!r} of plugin {name!r} needs a slug and a template")
                section.plugin = name
            info.commerce_providers = self._call(name, "helpline_register_commerce_providers")
            for module in self._call(name, "helpline_register_tasks"):
                module = importlib.import_module(module) if isinstance(module, str) else module
                self.task_modules[module.__name__] = name
            for registry, cls in self._classes(info):
                registry.add(cls, name)
            self.blueprint_owners.update((bp.name, name) for bp in info.blueprints)
        except Exception as exc:
            self._failed(name, exc)

    def _classes(self, info):
        """``(registry, class)`` for each channel, rule, panel and commerce
        provider a plugin returned."""
        for registry, classes in (
            (self.channels, info.channels),
            (self.rules, info.rules),
            (self.panels, info.panels),
            (self.commerce_providers, info.commerce_providers),
        ):
            for cls in classes:
                yield registry, cls

    def _call(self, name, hook_name):
        return call_for_plugin(self.pm, name, hook_name)

    def _finish(self):
        """Fail loudly on hooks that match no spec (a misspelt name), isolate
        event implementations, and drop what was cached for the old set."""
        failed = set()
        for hook_name, caller in list(vars(self.pm.hook).items()):
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook or impl.plugin_name in failed:
                    continue
                failed.add(impl.plugin_name)
                exc = pluggy.PluginValidationError(
                    impl.plugin, f"unknown hook {hook_name!r} in plugin {impl.plugin_name!r}"
                )
                self._failed(impl.plugin_name, exc)
        isolate_event_impls(self.pm)
        refresh_plugin_catalogs(self.app, self)
        self.relay.clear()
        self.forget_state()

    def _info(self, name):
        info = self.infos.get(name)
        if info is None:
            raise PluginError(f"No plugin named {name!r}.")
        return info

    # --- lookups ---------------------------------------------------------

    def all_models(self):
        """The core's models and every loaded plugin's."""
        models = list(CORE_MODELS)
        for name, info in self.infos.items():
            if name != CORE and info.loaded:
                models += info.models
        return models

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
        channel is unknown or its plugin is not live."""
        cls = self.channels.get(slug)
        if cls is None or not self.is_enabled(cls.plugin):
            return None
        return cls(settings=self.get_settings(cls.plugin))

    def commerce_provider(self, slug):
        """An instance of the commerce provider with its plugin's settings, or
        None when the provider is unknown or its plugin is not live."""
        cls = self.commerce_providers.get(slug)
        if cls is None or not self.is_enabled(cls.plugin):
            return None
        return cls(settings=self.get_settings(cls.plugin))

    def enabled_panels(self):
        return [cls() for cls in self.panels.values() if self.is_enabled(cls.plugin)]

    def ui_fragments(self, slot):
        """Template names live plugins contribute to a UI slot."""
        return [
            template
            for name, info in self.infos.items()
            if info.loaded and self.is_enabled(name)
            for fragment_slot, template in info.ui_fragments
            if fragment_slot == slot
        ]

    def start_services(self):
        """Start the live plugins' background services (``helpline run``);
        returns their stop callables."""
        stops = []
        for name, info in self.infos.items():
            if info.loaded and self.is_enabled(name):
                for start in info.services:
                    stop = start(self.app)
                    if stop is not None:
                        stops.append(stop)
        return stops

    def stream_routes(self):
        """``(plugin name, StreamRoute)`` for every loaded plugin's stream
        routes, live or not: the stream server mounts them all and answers
        404 for a disabled plugin's, decided per stream."""
        return [(name, route) for name, info in self.infos.items() if info.loaded for route in info.streams]

    def blueprint_plugin(self, blueprint_name):
        return self.blueprint_owners.get(blueprint_name)


def _relay_warnings(caught):
    """Deprecation warnings raised while registering a plugin go to the log
    (operators see them) and back to the warnings machinery (test runs do)."""
    for warning in caught:
        if issubclass(warning.category, hookspecs.HookDeprecationWarning):
            # The implementation may belong to another plugin than ``name``
            # (a spec added later is checked against earlier plugins): say where.
            log.warning("%s (%s:%s)", warning.message, warning.filename, warning.lineno)
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _canonical(distribution_name):
    return re.sub(r"[-_.]+", "-", distribution_name or "").lower()


def _names(value):
    return {n.strip() for n in str(value or "").split(",") if n.strip()}


def _truthy(value):
    return str(value).lower() in ("1", "true", "yes", "on")


def get_plugins(app=None) -> Plugins:
    """The plugin manager of ``app`` (default: the current app)."""
    return (app or current_app).extensions["helpline.plugins"]


def hook():
    """The relay of the current app: call hooks of live plugins only."""
    return get_plugins().relay
