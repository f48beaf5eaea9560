"""Shopify plugin tables: webhook deliveries already applied, and the order
history import's progress."""

# Python-side defaults (the clock) live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class SeenWebhook(Model):
        webhook_id = CharField(unique=True, max_length=100)
        topic = CharField(max_length=64)
        received_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "shopify_seen_webhook"

    class BackfillState(Model):
        kind = CharField(unique=True, max_length=32)
        status = CharField(max_length=16, default="idle")
        cursor = TextField(null=True)
        page_size = IntegerField(null=True)
        pages = IntegerField(default=0)
        orders = IntegerField(default=0)
        total = IntegerField(null=True)
        run_id = CharField(max_length=32, null=True)
        error = TextField(default="")
        started_at = DateTimeField(null=True)
        heartbeat_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "shopify_backfill"

    db.create_tables([SeenWebhook, BackfillState])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("shopify_backfill"))
    migrator.migrate(migrator.drop_table("shopify_seen_webhook"))
