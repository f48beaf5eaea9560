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
    # The agent UI's language (app.i18n.LANGUAGES); None follows the
    # browser's Accept-Language.
    language = peewee.CharField(max_length=8, null=True)
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=now)
    # Two-factor (owners and admins, optional): the TOTP secret (set at
    # enrolment, in use once confirmed), the last accepted time step (no
    # replay), recovery codes as SHA-256 digests (JSON list).
    totp_secret = peewee.CharField(max_length=64, null=True)
    totp_enabled_at = peewee.DateTimeField(null=True)
    totp_last_step = peewee.BigIntegerField(null=True)
    totp_recovery = peewee.TextField(default="[]")

    @property
    def first_name(self):
        return self.name.split(" ", 1)[0] if self.name else ""

    def __str__(self):
        return self.name


TOKEN_SCOPES = ("full", "read")


class ApiToken(BaseModel):
    """A personal API token. Only its SHA-256 digest is stored. ``scope``
    ``read`` allows only safe methods; past ``expires_at`` it stops working."""

    agent = peewee.ForeignKeyField(Agent, backref="tokens", on_delete="CASCADE")
    name = peewee.CharField(max_length=120)
    token_hash = peewee.CharField(max_length=64, unique=True)
    prefix = peewee.CharField(max_length=12)
    created_at = peewee.DateTimeField(default=now)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)
    scope = peewee.CharField(max_length=16, default="full")
    expires_at = peewee.DateTimeField(null=True)
