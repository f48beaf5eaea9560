import peewee

from ..clock import now
from ..db import BaseModel

ROLES = ("owner", "admin", "manager", "support", "analyst", "content_creator")
INBOX_ROLES = ("owner", "admin", "manager", "support")
PRESENCE = ("online", "away", "offline")


class Agent(BaseModel):
    """A member of the merchant's support team: login email, ``role`` (see
    ``ROLES``; ``INBOX_ROLES`` may use the inbox), ``presence`` as chosen and
    ``presence_effective`` as others see it, ``is_active`` (False once
    deactivated).
    """

    email = peewee.CharField(max_length=254, unique=True)
    name = peewee.CharField(max_length=120)
    password_hash = peewee.CharField(max_length=255, default="")
    role = peewee.CharField(max_length=32, default="support")
    # The agent's own choice, and what others see: the choice while the
    # heartbeat is fresh, "offline" once it lapses.
    presence = peewee.CharField(max_length=16, default="online")
    presence_effective = peewee.CharField(max_length=16, default="offline")
    heartbeat_at = peewee.DateTimeField(null=True)
    last_assigned_at = peewee.DateTimeField(null=True)
    timezone = peewee.CharField(max_length=64, default="UTC")
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=now)

    @property
    def first_name(self):
        return self.name.split(" ", 1)[0] if self.name else ""

    def __str__(self):
        return self.name


class ApiToken(BaseModel):
    """A personal API token. Only its SHA-256 digest is stored."""

    agent = peewee.ForeignKeyField(Agent, backref="tokens", on_delete="CASCADE")
    name = peewee.CharField(max_length=120)
    token_hash = peewee.CharField(max_length=64, unique=True)
    prefix = peewee.CharField(max_length=12)
    created_at = peewee.DateTimeField(default=now)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)
