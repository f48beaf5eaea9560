"""The role matrix of DESIGN.md §6. The core declares its own permissions
here; plugins declare theirs with ``helpline_register_permissions``. Views
(``app.auth.require``), the API and services ask ``can(agent, permission)``."""

from __future__ import annotations

import dataclasses
import logging

from flask import current_app
from flask_babel import lazy_gettext as _l

from .models.agent import INBOX_ROLES, ROLES

log = logging.getLogger(__name__)

MANAGERS = frozenset({"owner", "admin", "manager"})
ADMINS = frozenset({"owner", "admin"})

# What ``require`` accepts besides the permissions of the matrix.
PUBLIC = "public"  # anyone, no login
AUTHENTICATED = "authenticated"  # any active agent, whatever the role

HOOK = "helpline_register_permissions"


@dataclasses.dataclass(frozen=True)
class Permission:
    """Something a role may do. ``name`` is what views and services ask for
    (``require(name)``, ``can(agent, name)``); ``label`` is shown to people;
    ``roles`` are the roles that have it (by default the inbox roles)."""

    name: str
    label: str
    roles: frozenset = frozenset(INBOX_ROLES)

    def __post_init__(self):
        object.__setattr__(self, "roles", frozenset(self.roles))


CORE_PERMISSIONS = (
    Permission(
        "inbox", _l("Use the inbox: read, reply, note, assign, snooze, close, tag, personal views"), INBOX_ROLES
    ),
    Permission("shared_views", _l("Shared views"), MANAGERS),
    Permission("settings", _l("Settings"), ADMINS),
    Permission("plugins", _l("Turn plugins on and off"), ADMINS),
    Permission("agents", _l("Agents and roles"), ADMINS),
    Permission("audit_log", _l("Read the audit log"), frozenset({"owner"})),
    # Commerce: changing a customer's order at the shop, and feeding order
    # and event history through the import API.
    Permission("orders.edit", _l("Edit and cancel customers' orders"), MANAGERS),
    Permission("commerce.import", _l("Import orders and events"), ADMINS),
)


def permissions(app=None) -> dict[str, Permission]:
    """Every permission by name: the core's, then each plugin's. Rebuilt
    only when the set of plugins implementing the hook changes."""
    app = app or current_app
    plugins = app.extensions["helpline.plugins"]
    caller = getattr(plugins.pm.hook, HOOK, None)
    impls = caller.get_hookimpls() if caller is not None else []
    key = tuple((impl.plugin_name, id(impl.function)) for impl in impls)
    cached = app.extensions.get("helpline.permissions")
    if cached is None or cached[0] != key:
        cached = app.extensions["helpline.permissions"] = (key, _collect(plugins, [i.plugin_name for i in impls]))
    return cached[1]


def _collect(plugins, names):
    from .plugins.hooks import call_for_plugin

    table = {p.name: p for p in CORE_PERMISSIONS}
    owners = dict.fromkeys(table, "core")
    for name in names:
        # One plugin at a time, so a broken declaration is reported with its
        # plugin's name and leaves the others' in place.
        try:
            for permission in call_for_plugin(plugins.pm, name, HOOK):
                _check(permission, name, owners)
                table[permission.name], owners[permission.name] = permission, name
        except Exception:
            if plugins.strict:
                raise
            log.exception("plugin %s: its permissions could not be registered", name)
    return table


def _check(permission, plugin, owners):
    if not isinstance(permission, Permission):
        raise TypeError(f"plugin {plugin!r}: {HOOK} must return Permission objects, not {permission!r}")
    if not permission.name or permission.name in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"plugin {plugin!r}: {permission.name!r} cannot be a permission name")
    if permission.name in owners:
        raise ValueError(
            f"plugin {plugin!r}: permission {permission.name!r} is already declared by {owners[permission.name]!r}"
        )
    unknown = permission.roles - set(ROLES)
    if unknown:
        raise ValueError(f"plugin {plugin!r}: permission {permission.name!r} names unknown roles {sorted(unknown)}")


def _declared(permission):
    found = permissions().get(permission)
    if found is None:
        raise LookupError(f"unknown permission {permission!r}; declare it with {HOOK}")
    return found


def check_known(permission):
    """Raise LookupError for a name that is neither a declared permission
    nor ``PUBLIC`` / ``AUTHENTICATED`` (a typo in ``require``)."""
    if permission not in (PUBLIC, AUTHENTICATED):
        _declared(permission)


def can(agent, permission) -> bool:
    """Whether ``agent`` (active, or None) has ``permission``."""
    roles = _declared(permission).roles
    return bool(agent is not None and getattr(agent, "is_active", False) and agent.role in roles)


def granted(agent) -> list[str]:
    """The names of the permissions ``agent`` has, sorted."""
    return sorted(name for name in permissions() if can(agent, name))
