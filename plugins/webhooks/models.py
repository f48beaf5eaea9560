"""The webhooks plugin's tables: endpoints merchants register, and one
delivery row per event and endpoint (the outbox the sender works from and
the log merchants read)."""

import peewee

from app.plugin import Agent, BaseModel, now

DELIVERY_STATES = ("pending", "succeeded", "failed")


class WebhookEndpoint(BaseModel):
    """A URL that receives the events it subscribes to, signed with its own
    secret."""

    url = peewee.CharField(max_length=2000)
    description = peewee.CharField(max_length=200, default="")
    # Event type names (see ``events.EVENT_TYPES``), sorted.
    events = peewee.JSONField(default=list)
    enabled = peewee.BooleanField(default=True)
    # Kept as is: the server signs with it. Shown once, then masked.
    secret = peewee.CharField(max_length=100)
    secret_rotated_at = peewee.DateTimeField(default=now)
    created_by = peewee.ForeignKeyField(Agent, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=now)
    updated_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "webhook_endpoint"


class WebhookDelivery(BaseModel):
    """One event for one endpoint: the frozen JSON body, where its sending
    stands and what the last attempt got back."""

    endpoint = peewee.ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE")
    # Sent as the delivery id header: the same on every attempt and resend,
    # so receivers can drop repeats.
    uid = peewee.CharField(max_length=40, unique=True)
    event_id = peewee.CharField(max_length=40)
    event_type = peewee.CharField(max_length=64)
    body = peewee.TextField()
    state = peewee.CharField(max_length=16, default="pending")
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(default=now)
    last_attempt_at = peewee.DateTimeField(null=True)
    status_code = peewee.IntegerField(null=True)
    duration_ms = peewee.IntegerField(null=True)
    error = peewee.CharField(max_length=500, default="")
    response_excerpt = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            # the log of one endpoint, newest first (keyset on id)
            (("endpoint", "id"), False),
            # the retry sweep: pending rows whose time has come
            (("state", "next_attempt_at"), False),
        )


MODELS = [WebhookEndpoint, WebhookDelivery]
