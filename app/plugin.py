"""The public plugin API (interfaces.md §1) -- MINIMAL STUB made in the
``reports`` worktree: it re-exports only the names the reports plugin needs
and is replaced by the real module (issue 12) at merge."""

import functools

from flask import request

from .api.security import requires as _api_requires
from .auth import current_agent
from .clock import now
from .db import BaseModel, db, is_postgres, write_transaction
from .hookspecs import hookimpl
from .models import Activity, Agent, Message, Ticket
from .permissions import can
from .plugins import get_plugins
from .services import Denied
from .tasks import task


def plugin_settings(name):
    """The settings of plugin ``name`` with defaults filled in."""
    return get_plugins().get_settings(name)


def require(permission):
    """Login and role check for a view, answering JSON under ``/api/`` and
    with pages (login redirect, 403 page) elsewhere."""
    from .web.helpers import page_require

    def decorator(view):
        api_view = _api_requires(permission)(view)
        page_view = page_require(permission)(view)

        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            target = api_view if request.path.startswith("/api/") else page_view
            return target(*args, **kwargs)

        wrapped._apidoc = api_view._apidoc
        return wrapped

    return decorator


__all__ = [
    "Activity",
    "Agent",
    "BaseModel",
    "Denied",
    "Message",
    "Ticket",
    "can",
    "current_agent",
    "db",
    "get_plugins",
    "hookimpl",
    "is_postgres",
    "now",
    "plugin_settings",
    "require",
    "task",
    "write_transaction",
]
