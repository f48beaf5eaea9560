"""Counter rows behind the navigation's counts, kept by database triggers
(migration 0015) on every write to ``ticket``, ``ticket_tag`` and
``read_marker``, whatever code path writes. Never write them from Python.

Each key is split over ``shard`` rows (on PostgreSQL the writing
connection's ``pg_backend_pid() % 32``; always 0 on SQLite, which has one
writer), so concurrent transactions do not queue on one hot row; a count
is the ``SUM`` of a key's shards. ``assignee_id`` 0 means unassigned (a
NULL would never match the key on upsert).
"""

import peewee

from ..db import BaseModel

SHARDS = 32


class TicketTally(BaseModel):
    """Tickets per (status, assignee, channel); ``n_inbound`` of them have
    an inbound message (what the unread badge can count)."""

    shard = peewee.SmallIntegerField()
    status = peewee.CharField(max_length=16)
    assignee_id = peewee.IntegerField()
    channel = peewee.CharField(max_length=32)
    n = peewee.BigIntegerField(default=0)
    n_inbound = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "ticket_tally"
        primary_key = peewee.CompositeKey("status", "assignee_id", "channel", "shard")


class TicketTagTally(BaseModel):
    """Tagged tickets per (status, tag)."""

    shard = peewee.SmallIntegerField()
    status = peewee.CharField(max_length=16)
    tag_id = peewee.IntegerField()
    n = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "ticket_tag_tally"
        primary_key = peewee.CompositeKey("tag_id", "status", "shard")


class ReadTally(BaseModel):
    """Per agent, open tickets with an inbound message that the agent has
    read up to it: ``own`` 1 for tickets assigned to that agent, 0 for
    unassigned ones (tickets of other agents are not counted). Unread =
    ``TicketTally.n_inbound`` of the same tickets minus this."""

    shard = peewee.SmallIntegerField()
    agent_id = peewee.IntegerField()
    own = peewee.SmallIntegerField()
    n = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "read_tally"
        primary_key = peewee.CompositeKey("agent_id", "own", "shard")
