"""The Shopify plugin's tables (created by ``plugins/shopify/migrations``)."""

import peewee

from app.plugin import BaseModel, now


class SeenWebhook(BaseModel):
    """A webhook delivery already applied, by ``X-Shopify-Webhook-Id``:
    Shopify re-delivers until it gets a 2xx, sometimes in parallel. Rows
    older than :data:`plugins.shopify.webhooks.KEEP_SEEN_DAYS` are pruned."""

    webhook_id = peewee.CharField(max_length=100, unique=True)
    topic = peewee.CharField(max_length=64)
    received_at = peewee.DateTimeField(default=now, index=True)

    class Meta:
        table_name = "shopify_seen_webhook"


class BackfillState(BaseModel):
    """Progress of the order history import (one row per kind, ``orders``).

    ``cursor`` is the checkpoint: the end cursor of the last page stored, in
    the same transaction as its orders, so a resumed run continues after it.
    ``run_id`` names the run that holds the import; ``heartbeat_at`` shows
    it is alive (a run whose heartbeat is old was killed and may be taken
    over)."""

    kind = peewee.CharField(max_length=32, unique=True)
    status = peewee.CharField(max_length=16, default="idle")  # idle | queued | running | done | failed
    cursor = peewee.TextField(null=True)
    page_size = peewee.IntegerField(null=True)
    pages = peewee.IntegerField(default=0)
    orders = peewee.IntegerField(default=0)
    total = peewee.IntegerField(null=True)
    run_id = peewee.CharField(max_length=32, null=True)
    error = peewee.TextField(default="")
    started_at = peewee.DateTimeField(null=True)
    heartbeat_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "shopify_backfill"


MODELS = [SeenWebhook, BackfillState]
