"""The public plugin API: everything a plugin imports from the core.

Minimal stand-in made on the ``predictive`` branch (docs/interfaces §1): it
re-exports only the names of the agreed list that the predictive plugin
uses. The full module (issue 12) replaces it at merge; every name here is
on that list, so nothing else has to change.
"""

from .clock import now
from .db import BaseModel, db, is_postgres, write_transaction
from .hookspecs import hookimpl
from .models import Order, Profile, Ticket
from .plugins import get_plugins
from .registry import Panel
from .tasks import crontab, periodic_task


def plugin_settings(name):
    """The settings of plugin ``name`` with defaults filled in."""
    return get_plugins().get_settings(name)


__all__ = [
    "BaseModel",
    "Order",
    "Panel",
    "Profile",
    "Ticket",
    "crontab",
    "db",
    "get_plugins",
    "hookimpl",
    "is_postgres",
    "now",
    "periodic_task",
    "plugin_settings",
    "write_transaction",
]
