"""The public plugin API (interfaces.md §1): plugin code imports core names
from here only.

STAND-IN on the commerce branch, replaced at merge by main's ``app/plugin.py``
(issue 12). It re-exports from the current core modules the §1 names the
commerce work and the Shopify plugin need, plus the commerce names of §3.
"""

from flask import current_app

from .api.errors import error_response
from .auth import current_agent
from .auth import require as _require
from .clock import now
from .commerce import CommerceProvider, CustomerRef, EventData, OrderData, OrderLine, ProviderRefusal
from .csrf import exempt as csrf_exempt
from .db import BaseModel, db, is_postgres, write_transaction
from .events import after_commit, publish
from .hookspecs import hookimpl, hookspec
from .models import INBOX_ROLES, Activity, Agent, ContactIdentity, Message, Order, Profile, ProfileEvent, Ticket
from .permissions import Forbidden, can
from .plugins import get_plugins, hook
from .ratelimit import limiter, public_limit
from .registry import EmptySettings, Panel, Refusal
from .services import Conflict, Denied, NotFound, ServiceError
from .services.commerce import upsert_event, upsert_order
from .services.messages import add_note, add_notice
from .services.profiles import normalize_email, normalize_phone
from .tasks import crontab, periodic_task, task


def require(permission):
    """Login + permission decorator for JSON views (the stand-in maps to
    ``app.auth.require``; main's version also serves pages)."""
    return _require(permission)


def plugin_settings(name):
    """The named plugin's settings, defaults filled in."""
    return get_plugins(current_app).get_settings(name)


__all__ = [
    "hookimpl",
    "hookspec",
    "get_plugins",
    "hook",
    "plugin_settings",
    "Panel",
    "Refusal",
    "EmptySettings",
    "task",
    "periodic_task",
    "crontab",
    "now",
    "db",
    "BaseModel",
    "write_transaction",
    "is_postgres",
    "after_commit",
    "publish",
    "Agent",
    "Profile",
    "ContactIdentity",
    "Ticket",
    "Message",
    "Activity",
    "ProfileEvent",
    "Order",
    "INBOX_ROLES",
    "add_note",
    "add_notice",
    "normalize_phone",
    "normalize_email",
    "ServiceError",
    "NotFound",
    "Conflict",
    "Denied",
    "Forbidden",
    "require",
    "current_agent",
    "can",
    "csrf_exempt",
    "error_response",
    "limiter",
    "public_limit",
    "CustomerRef",
    "OrderLine",
    "OrderData",
    "EventData",
    "CommerceProvider",
    "ProviderRefusal",
    "upsert_order",
    "upsert_event",
]
