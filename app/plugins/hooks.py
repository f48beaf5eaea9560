"""Calling hooks. Every call goes through pluggy, so wrappers
(``wrapper=True``, ``hookwrapper=True``) run and tracing (``pm.trace``,
``add_hookcall_monitoring``) sees it:

* register hooks are called one plugin at a time through a subset hook
  caller that leaves out every other plugin, so each result is attributed to
  the plugin that returned it;
* event hooks (``helpline_on_*``) get failure isolation per implementation:
  each plain implementation is wrapped once, at registration, so its
  exception is logged with the plugin's name and the other plugins still
  run; :func:`collect_event_errors` hands the failures to the caller
  (``app.events.fire`` re-raises the first under strict mode);
* decision hooks (``firstresult``) keep pluggy's semantics untouched;
* :class:`Relay` is the enabled-set relay: a ``subset_hook_caller`` without
  the disabled plugins, cached per (hook, disabled set).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging

import pluggy

log = logging.getLogger(__name__)

EVENT_PREFIX = "helpline_on_"

_event_errors: contextvars.ContextVar[list | None] = contextvars.ContextVar("helpline_event_errors", default=None)


def as_list(result):
    """A register hook's result as a list: None, one item or a list."""
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


def call_for_plugin(pm, plugin_name, hook_name):
    """Call a register hook on one plugin only; its results, merged into one list."""
    caller = getattr(pm.hook, hook_name, None)
    if caller is None or not caller.has_spec():
        return []
    others = [plugin for name, plugin in pm.list_name_plugin() if name != plugin_name and plugin is not None]
    results = []
    for result in pm.subset_hook_caller(hook_name, remove_plugins=others)():
        results.extend(as_list(result))
    return results


def isolate_event_impls(pm):
    """Give every plain implementation of a specified event hook its failure
    isolation (once). Wrappers are left as they are: they must see the call
    as pluggy makes it. Run after each registration, once specs are known,
    so pluggy validated (and warned about) the original function."""
    for hook_name, caller in vars(pm.hook).items():
        if not hook_name.startswith(EVENT_PREFIX) or not isinstance(caller, pluggy.HookCaller):
            continue
        if not caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.wrapper or impl.hookwrapper or getattr(impl.function, "_helpline_isolated", False):
                continue
            # pluggy calls ``function`` with the arguments named in
            # ``impl.argnames``, computed from the original at registration,
            # so a pass-through wrapper keeps the call exactly as it was.
            impl.function = _isolated(impl.function, impl.plugin_name, hook_name)


def _isolated(function, plugin_name, hook_name):
    @functools.wraps(function)
    def isolated(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            log.exception("plugin %s failed in %s", plugin_name, hook_name)
            errors = _event_errors.get()
            if errors is not None:
                exc.add_note(f"raised by plugin {plugin_name!r} in {hook_name}")
                errors.append(exc)
            return None

    isolated._helpline_isolated = True
    return isolated


@contextlib.contextmanager
def collect_event_errors():
    """Collect the exceptions that isolated event implementations swallow
    during the block (a list, filled in call order)."""
    errors = []
    token = _event_errors.set(errors)
    try:
        yield errors
    finally:
        _event_errors.reset(token)


class Relay:
    """``relay.helpline_x(...)`` calls the hook on enabled plugins only."""

    _MAX_CACHED = 512

    def __init__(self, plugins):
        self._plugins = plugins
        self._cache = {}

    def clear(self):
        """Forget the cached callers (after a plugin was added or removed)."""
        self._cache.clear()

    def __getattr__(self, hook_name):
        if hook_name.startswith("_"):
            raise AttributeError(hook_name)
        plugins = self._plugins
        disabled = plugins.disabled_names()
        key = (hook_name, disabled)
        caller = self._cache.get(key)
        if caller is None:
            pm = plugins.pm
            remove = [plugin for plugin in (pm.get_plugin(name) for name in disabled) if plugin is not None]
            caller = pm.subset_hook_caller(hook_name, remove_plugins=remove)
            if len(self._cache) >= self._MAX_CACHED:
                self._cache.clear()
            self._cache[key] = caller
        return caller
