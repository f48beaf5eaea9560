import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent


class AuditEntry(BaseModel):
    """Who changed what, when and from where: settings, plugins on/off,
    agents and roles, API tokens, sessions ended, two-factor. ``details``
    never holds a secret's value, only that it changed."""

    at = peewee.DateTimeField(default=now, index=True)
    actor = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL", backref="audit_entries")
    action = peewee.CharField(max_length=64)
    target = peewee.CharField(max_length=200, default="")
    details = peewee.TextField(default="{}")
    ip = peewee.CharField(max_length=64, default="")
