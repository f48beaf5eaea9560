import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent


class AgentSession(BaseModel):
    """A logged-in browser: the cookie holds a random id, the table only its
    SHA-256 digest, so a database leak gives no usable session. Deleting the
    row ends the session (logout, log out everywhere, deactivation, a
    password change)."""

    agent = peewee.ForeignKeyField(Agent, backref="sessions", on_delete="CASCADE")
    id_hash = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=now)
    last_seen_at = peewee.DateTimeField(default=now)
    ip = peewee.CharField(max_length=64, default="")
    user_agent = peewee.CharField(max_length=255, default="")
