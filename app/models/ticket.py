import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent
from .profile import Profile

STATUSES = ("open", "snoozed", "closed")
CLOSE_REASONS = ("agent", "inactivity", "bulk", "rule", "merged")


class Ticket(BaseModel):
    """One conversation with a customer on one channel (``channel``,
    ``thread_key``): its ``status`` (open, snoozed, closed), ``assignee``,
    ``profile`` and the clock fields the rules read. Change it through the
    services (``set_status``, ``assign``, ...), which fire the event hooks.
    """

    channel = peewee.CharField(max_length=32)
    thread_key = peewee.CharField(max_length=255)
    # No index of their own: (profile, created_at) and (assignee, updated_at,
    # id) below begin with them (migration 0017).
    profile = peewee.ForeignKeyField(Profile, backref="tickets", on_delete="CASCADE", index=False)
    status = peewee.CharField(max_length=16, default="open")
    assignee = peewee.ForeignKeyField(Agent, null=True, backref="tickets", on_delete="SET NULL", index=False)
    subject = peewee.CharField(max_length=255, default="")
    created_at = peewee.DateTimeField(default=now)
    updated_at = peewee.DateTimeField(default=now)
    snoozed_until = peewee.DateTimeField(null=True)
    closed_at = peewee.DateTimeField(null=True)
    closed_reason = peewee.CharField(max_length=32, null=True)
    first_response_at = peewee.DateTimeField(null=True)
    last_customer_message_at = peewee.DateTimeField(null=True)
    # The auto-close clock: set by the first public agent/bot reply after the
    # customer's latest message; cleared by a customer message, reopen, close.
    awaiting_customer_since = peewee.DateTimeField(null=True)
    # Web chat's typing signal, so time-based rules can wait for a typist.
    customer_typing_until = peewee.DateTimeField(null=True)
    reopen_count = peewee.IntegerField(default=0)
    reopened_at = peewee.DateTimeField(null=True)
    # Shown on lists without a join to messages.
    last_message_preview = peewee.CharField(max_length=200, default="")
    last_inbound_message_id = peewee.IntegerField(null=True)

    class Meta:
        indexes = (
            (("status", "updated_at", "id"), False),
            # channel last: a list of one agent's tickets filtered by channel
            # tells the rows apart in the index, without reading each ticket.
            (("assignee", "status", "updated_at", "id", "channel"), False),
            # An assignee's tickets of every status, newest activity first.
            (("assignee", "updated_at", "id"), False),
            (("channel", "thread_key"), False),
            (("profile", "created_at"), False),
            (("created_at", "id"), False),
            (("updated_at", "id"), False),
        )

    @property
    def number(self):
        return self.id


# A created range sorted by update walks each day of the range in update
# order (app.services.views): one short walk per day instead of reading and
# sorting every ticket of the range. Expression index: migration 0018.
Ticket.add_index(
    Ticket.index(
        peewee.fn.date(Ticket.created_at), Ticket.updated_at, Ticket.id, name="ticket_created_day_updated_at_id"
    )
)
# The other way round (migration 0021): an updated range sorted by creation
# walks each day of the range in creation order.
Ticket.add_index(
    Ticket.index(
        peewee.fn.date(Ticket.updated_at), Ticket.created_at, Ticket.id, name="ticket_updated_day_created_at_id"
    )
)

# Partial (migration 0017): only armed clocks and snoozed tickets, the rows
# the sweeps look for (their bounds, ``<= cutoff``, imply IS NOT NULL). A
# close clears both columns and so writes no entry in either. The auto-close
# sweep pages through due clocks in (clock, id) order.
Ticket.add_index(
    Ticket.index(
        Ticket.awaiting_customer_since,
        Ticket.id,
        where=peewee.SQL('"awaiting_customer_since" IS NOT NULL'),
        name="ticket_armed_clock",
    )
)
Ticket.add_index(
    Ticket.index(Ticket.snoozed_until, where=peewee.SQL('"snoozed_until" IS NOT NULL'), name="ticket_snoozed")
)


class Tag(BaseModel):
    name = peewee.CharField(max_length=64, unique=True)


class TicketTag(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, backref="ticket_tags", on_delete="CASCADE")
    tag = peewee.ForeignKeyField(Tag, backref="ticket_tags", on_delete="CASCADE")
    # Copies of the ticket's columns a tagged list filters and sorts on, kept
    # by database triggers (migration 0020) on every write to ``ticket`` and
    # ``ticket_tag``, whatever code path writes: never set them from Python.
    # A list of one agent's (or no one's) tickets with a tag walks the index
    # below in update order instead of every ticket of the agent (and a list
    # with no assignee filter the second one, migration 0021). An
    # unassigned ticket's rows hold ``assignee_id`` 0.
    status = peewee.CharField(max_length=16, null=True)
    assignee_id = peewee.IntegerField(null=True)
    channel = peewee.CharField(max_length=32, null=True)
    updated_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("ticket", "tag"), True), (("tag", "ticket"), False))


TicketTag.add_index(
    TicketTag.index(
        TicketTag.tag,
        TicketTag.status,
        TicketTag.assignee_id,
        TicketTag.updated_at,
        TicketTag.ticket,
        TicketTag.channel,
        name="ticket_tag_list",
    )
)
# A tagged list with no assignee filter walks the tag's rows of each status
# in update order (migration 0021).
TicketTag.add_index(
    TicketTag.index(
        TicketTag.tag,
        TicketTag.status,
        TicketTag.updated_at,
        TicketTag.ticket,
        TicketTag.channel,
        name="ticket_tag_status_list",
    )
)


class Activity(BaseModel):
    """The ticket's audit trail: who did what, when."""

    # Indexed by (ticket, created_at) below (migration 0017).
    ticket = peewee.ForeignKeyField(Ticket, backref="activities", on_delete="CASCADE", index=False)
    actor = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    action = peewee.CharField(max_length=32)
    data = peewee.JSONField(default=dict)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("ticket", "created_at"), False), (("action", "created_at"), False))


class DryRunEntry(BaseModel):
    """What a rule in dry-run mode would have done to a ticket, recorded
    instead of doing it (once per ``key``: e.g. once per auto-close clock)."""

    rule = peewee.CharField(max_length=64)
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    action = peewee.CharField(max_length=32)
    key = peewee.CharField(max_length=64, default="")
    data = peewee.JSONField(default=dict)
    day = peewee.DateField()
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "rule_dry_run"
        indexes = ((("rule", "ticket", "action", "key"), True), (("rule", "day"), False))
