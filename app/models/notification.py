import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent
from .message import Message
from .ticket import Ticket

# What an agent is told about (app.services.notifications describes each).
NOTIFICATION_KINDS = ("assigned", "mention", "reply", "new_ticket")


class Notification(BaseModel):
    """Something an agent should know about a ticket: it was assigned to
    them, they were mentioned in a note, the customer replied on their
    ticket, or a new ticket arrived (only when they opted in). ``read_at``
    is None until they read it. ``actor`` is who caused it (None: a rule
    or the customer)."""

    agent = peewee.ForeignKeyField(Agent, backref="notifications", on_delete="CASCADE")
    kind = peewee.CharField(max_length=16)
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    message = peewee.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    actor = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=now)
    read_at = peewee.DateTimeField(null=True)

    class Meta:
        # (agent, id): the list, newest first, keyset on id. (agent, read_at):
        # the unread count and "mark all read" touch only one agent's unread rows.
        # (agent, ticket, read_at): opening a ticket marks its notifications read.
        indexes = (
            (("agent", "id"), False),
            (("agent", "read_at"), False),
            (("agent", "ticket", "read_at"), False),
        )


class NotificationPreference(BaseModel):
    """An agent's notification choices; no row means the defaults
    (``app.services.notifications.DEFAULTS``)."""

    agent = peewee.ForeignKeyField(Agent, primary_key=True, on_delete="CASCADE")
    sound = peewee.BooleanField(default=False)
    desktop = peewee.BooleanField(default=False)
    kinds = peewee.JSONField(default=list)
    updated_at = peewee.DateTimeField(default=now)
