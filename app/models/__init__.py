"""Core tables. Plugins add their own through ``helpline_register_models``."""

from .agent import INBOX_ROLES, PRESENCE, ROLES, Agent, ApiToken
from .audit import AuditEntry
from .idempotency import IdempotencyKey
from .message import AUTHORS, DIRECTIONS, KINDS, Message, Outbox, ReadMarker
from .notification import NOTIFICATION_KINDS, Notification, NotificationPreference
from .profile import SMS_CONSENT, ContactIdentity, Order, Profile, ProfileEvent
from .session import AgentSession
from .settings import EventView, PluginState, SavedView
from .tally import ReadTally, TicketTagTally, TicketTally
from .ticket import STATUSES, Activity, DryRunEntry, Tag, Ticket, TicketTag

CORE_MODELS = [
    Agent,
    ApiToken,
    AgentSession,
    Profile,
    ContactIdentity,
    ProfileEvent,
    Order,
    Ticket,
    Tag,
    TicketTag,
    Activity,
    DryRunEntry,
    Message,
    Outbox,
    ReadMarker,
    PluginState,
    SavedView,
    AuditEntry,
    EventView,
    Notification,
    NotificationPreference,
    IdempotencyKey,
    TicketTally,
    TicketTagTally,
    ReadTally,
]

__all__ = [m.__name__ for m in CORE_MODELS] + [
    "CORE_MODELS",
    "ROLES",
    "INBOX_ROLES",
    "PRESENCE",
    "AUTHORS",
    "DIRECTIONS",
    "KINDS",
    "SMS_CONSENT",
    "STATUSES",
    "NOTIFICATION_KINDS",
]
