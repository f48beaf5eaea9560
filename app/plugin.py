"""The public plugin API: the one module a Helpline plugin imports from.

Everything a channel, rule or panel needs from the core is exported here;
every other module under ``app`` is internal and may change without notice.
First-party plugins in ``plugins/`` use nothing else (a test checks every
import), so a third-party package written against this module works like
one of them. Each name is documented in docs/plugins.md ("Reference").

Typical use::

    from app.plugin import Channel, SendResult, hookimpl, ingest

The hook contract this module belongs to carries :data:`HOOK_API_VERSION`.
"""

from __future__ import annotations

from flask import current_app

from .auth import current_agent, require
from .clock import now, utc_iso
from .commerce import CommerceProvider, CustomerRef, EventData, OrderData, OrderLine, ProviderRefusal
from .csrf import exempt as csrf_exempt
from .db import BaseModel, ShapedStatement, connection, db, is_postgres, write_transaction
from .errors import error_response
from .events import after_commit, defer, fire, fire_each, publish
from .heap import freeze_startup_objects
from .hookspecs import HOOK_API_VERSION, HookDeprecationWarning, hookimpl, hookspec
from .i18n import browser_language, customer_language, team_languages
from .models import (
    INBOX_ROLES,
    SMS_CONSENT,
    Activity,
    Agent,
    ContactIdentity,
    DryRunEntry,
    Message,
    Order,
    Profile,
    ProfileEvent,
    Ticket,
)
from .permissions import AUTHENTICATED, PUBLIC, Permission, can
from .plugins import get_plugins, hook, start_unit_of_work
from .plugins.state import answers_while_off
from .ratelimit import limiter, public_limit, unlimited, within_limit
from .registry import (
    Attachment,
    CardFact,
    Channel,
    ChannelCard,
    DeliveryError,
    EmptySettings,
    Inbound,
    Outbound,
    Panel,
    Refusal,
    Rule,
    Sender,
    SendResult,
    SettingsSection,
)
from .services import Conflict, Denied, Forbidden, NotFound, ServiceError, dry_run, storage
from .services.agents import online_agents
from .services.assignment import claim
from .services.audit import record as record_audit
from .services.commerce import ProviderError, upsert_event, upsert_events, upsert_order, upsert_orders
from .services.contacts import is_alphanumeric_sender, normalize_email, normalize_phone
from .services.html import preview, sanitize, text_to_html
from .services.identities import IdentityTaken, find_profile
from .services.identities import link as link_identity
from .services.identities import resolve as resolve_profile
from .services.ingest import ChannelUnavailable, IngestResult, ingest
from .services.ingest import prepare as prepare_ingest
from .services.ingest import stored as stored_message
from .services.messages import ReplyRefused, add_note, add_notice, refusal_for, reply
from .services.outbox import retry_now as retry_delivery
from .services.profiles import find_or_create as find_or_create_profile
from .services.profiles import update as update_profile
from .services.reasons import make as make_reason
from .services.tickets import (
    MAX_BULK,
    MAX_TAG_LENGTH,
    assign,
    change_tags,
    close,
    parse_duration,
    reopen,
    set_status,
    snooze,
)
from .services.tickets import get as get_ticket
from .stream_routes import StreamRequest, StreamRoute, Subscription
from .tasks import crontab, periodic_task, task
from .validation import (
    HHMM,
    MAX_ID,
    WEEKDAYS,
    ClosedDates,
    Id,
    OpenRange,
    TimeZone,
    UtcDateTime,
    WeeklyHours,
    default_week,
    is_open_at,
    is_time_zone,
    minutes,
    valid_id,
)
from .web.helpers import done as form_done
from .web.helpers import failed as form_failed
from .web.settings import role_labels


def plugin_settings(name: str) -> dict:
    """The settings of plugin ``name`` with defaults filled in, as its
    settings schema loads them (a fresh dict: changing it changes nothing).

    Call it when the settings are needed, not at import time: merchants
    change settings at runtime and every process sees the change at once.
    """
    return get_plugins(current_app).get_settings(name)


__all__ = [
    # plugin system
    "hookimpl",
    "hookspec",
    "HOOK_API_VERSION",
    "HookDeprecationWarning",
    "get_plugins",
    "hook",
    "plugin_settings",
    # languages
    "customer_language",
    "team_languages",
    "browser_language",
    "fire",
    "fire_each",
    # base classes and data types
    "Channel",
    "ChannelCard",
    "CardFact",
    "Rule",
    "Panel",
    "SettingsSection",
    "Inbound",
    "Outbound",
    "Sender",
    "Attachment",
    "SendResult",
    "DeliveryError",
    "Refusal",
    "EmptySettings",
    # commerce
    "CommerceProvider",
    "CustomerRef",
    "OrderLine",
    "OrderData",
    "EventData",
    "ProviderRefusal",
    "ProviderError",
    "upsert_order",
    "upsert_orders",
    "upsert_event",
    "upsert_events",
    # tasks
    "task",
    "periodic_task",
    "crontab",
    # time
    "now",
    "utc_iso",
    # database
    "db",
    "BaseModel",
    "write_transaction",
    "is_postgres",
    "ShapedStatement",
    "after_commit",
    "defer",
    "connection",
    "start_unit_of_work",
    "freeze_startup_objects",
    # live events
    "publish",
    "StreamRoute",
    "StreamRequest",
    "Subscription",
    # models
    "Agent",
    "Profile",
    "ContactIdentity",
    "Ticket",
    "Message",
    "Activity",
    "DryRunEntry",
    "ProfileEvent",
    "Order",
    "INBOX_ROLES",
    "SMS_CONSENT",
    # services
    "ingest",
    "prepare_ingest",
    "stored_message",
    "IngestResult",
    "ChannelUnavailable",
    "reply",
    "ReplyRefused",
    "refusal_for",
    "retry_delivery",
    "add_note",
    "add_notice",
    "get_ticket",
    "set_status",
    "close",
    "reopen",
    "snooze",
    "assign",
    "claim",
    "change_tags",
    "parse_duration",
    "MAX_TAG_LENGTH",
    "MAX_BULK",
    "storage",
    "sanitize",
    "text_to_html",
    "preview",
    "normalize_phone",
    "normalize_email",
    "is_alphanumeric_sender",
    "find_or_create_profile",
    "update_profile",
    "find_profile",
    "resolve_profile",
    "link_identity",
    "IdentityTaken",
    "online_agents",
    "make_reason",
    "dry_run",
    "record_audit",
    # errors
    "ServiceError",
    "NotFound",
    "Conflict",
    "Denied",
    "Forbidden",
    # HTTP
    "require",
    "current_agent",
    "can",
    "Permission",
    "PUBLIC",
    "AUTHENTICATED",
    "csrf_exempt",
    "answers_while_off",
    "error_response",
    "limiter",
    "public_limit",
    "unlimited",
    "within_limit",
    "form_done",
    "form_failed",
    "role_labels",
    # input checks
    "Id",
    "TimeZone",
    "UtcDateTime",
    "MAX_ID",
    "valid_id",
    "is_time_zone",
    # office hours
    "WEEKDAYS",
    "HHMM",
    "minutes",
    "OpenRange",
    "WeeklyHours",
    "ClosedDates",
    "default_week",
    "is_open_at",
]
