import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent


class PluginState(BaseModel):
    """The merchant's choice per plugin. ``version`` takes the next value of a
    global counter on every change, so processes notice with one MAX()."""

    name = peewee.CharField(max_length=64, unique=True)
    enabled = peewee.BooleanField(default=True)
    settings = peewee.JSONField(default=dict)
    version = peewee.IntegerField(default=0, unique=True)
    updated_at = peewee.DateTimeField(default=now)


class SavedView(BaseModel):
    name = peewee.CharField(max_length=100)
    owner = peewee.ForeignKeyField(Agent, backref="views", on_delete="CASCADE")
    shared = peewee.BooleanField(default=False)
    filters = peewee.JSONField(default=dict)
    position = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("owner", "position"), False), (("shared", "position"), False))


class EventView(BaseModel):
    """An agent's saved filter of a customer's event list (by metric),
    reusable on any customer."""

    owner = peewee.ForeignKeyField(Agent, backref="event_views", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    metric = peewee.CharField(max_length=100)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("owner", "name"), True),)
