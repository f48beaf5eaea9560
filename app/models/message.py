import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent
from .ticket import Ticket

DIRECTIONS = ("inbound", "outbound")
KINDS = ("message", "note", "notice")
AUTHORS = ("customer", "agent", "bot", "system")
DELIVERY_STATES = ("queued", "sent", "failed")


class Message(BaseModel):
    """One entry of a ticket's thread: a customer message (``inbound``), a
    reply (``outbound``, with a ``delivery_state`` of queued, sent or failed),
    an internal ``note`` or a system ``notice`` (``kind``). ``external_id``
    is the provider's id, unique per channel.
    """

    # Indexed by (ticket, id) and (ticket, created_at, id) below (migration 0017).
    ticket = peewee.ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE", index=False)
    channel = peewee.CharField(max_length=32)
    direction = peewee.CharField(max_length=8)
    kind = peewee.CharField(max_length=8, default="message")
    author_type = peewee.CharField(max_length=8)
    author_agent = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    text = peewee.TextField(default="")
    html = peewee.TextField(default="")
    attachments = peewee.JSONField(default=list)
    # The provider's id (Message-ID, MessageSid, client message id): ingest is
    # idempotent on (channel, external_id).
    external_id = peewee.CharField(max_length=255, null=True)
    delivery_state = peewee.CharField(max_length=8, null=True)
    delivery_error = peewee.TextField(null=True)
    attempts = peewee.IntegerField(default=0)
    meta = peewee.JSONField(default=dict)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = (
            (("channel", "external_id"), True),
            (("ticket", "id"), False),
            # The thread in time order (a merge mixes ids).
            (("ticket", "created_at", "id"), False),
        )

    @property
    def is_public(self):
        return self.kind == "message"


class Outbox(BaseModel):
    """One row per outbound message to deliver; the delivery task and the
    retry sweep work from here, so nothing queued is forgotten."""

    message = peewee.ForeignKeyField(Message, unique=True, on_delete="CASCADE")
    state = peewee.CharField(max_length=8, default="pending")  # pending|sent|failed
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(default=now)
    last_error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False),)


class ReadMarker(BaseModel):
    agent = peewee.ForeignKeyField(Agent, on_delete="CASCADE")
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    last_read_message_id = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("agent", "ticket"), True),)
