import peewee

from ..clock import now
from ..db import BaseModel
from .agent import Agent


class IdempotencyKey(BaseModel):
    """An ``Idempotency-Key`` an API client sent with a request that creates
    something: the same agent sending the same key again gets what the first
    request made instead of a second one. ``fingerprint`` is a digest of the
    request (method, path, body), so a key reused for another request is
    refused; ``resource_id`` is what the first request created."""

    agent = peewee.ForeignKeyField(Agent, on_delete="CASCADE")
    key = peewee.CharField(max_length=255)
    fingerprint = peewee.CharField(max_length=64)
    resource_id = peewee.BigIntegerField()
    created_at = peewee.DateTimeField(default=now, index=True)

    class Meta:
        table_name = "idempotency_key"
        indexes = ((("agent", "key"), True),)
