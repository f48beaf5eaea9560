"""The plugin system: loading plugins (:mod:`.loader`), the merchant's
enabled state (:mod:`.state`), settings (:mod:`.settings`), migrations per
plugin (:mod:`.migrations`), caches per unit of work (:mod:`.cache`) and
calling hooks through pluggy (:mod:`.hooks`).

Core code imports the names below from ``app.plugins``; plugins import from
the public API module ``app.plugin`` instead.
"""

from .cache import request_cache, start_unit_of_work
from .hooks import collect_event_errors
from .info import CORE, PluginError, PluginInfo, PluginLoadError
from .loader import CORE_DISTRIBUTION, ENTRY_POINT_GROUP, Plugins, get_plugins, hook
from .settings import SECRET_MASK, field_messages
from .state import MIGRATIONS_PENDING

__all__ = [
    "CORE",
    "CORE_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "MIGRATIONS_PENDING",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "Plugins",
    "SECRET_MASK",
    "collect_event_errors",
    "field_messages",
    "get_plugins",
    "hook",
    "request_cache",
    "start_unit_of_work",
]
