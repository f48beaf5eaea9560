"""Webhook endpoints and their deliveries."""

# Python-side defaults (clock.now) live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class WebhookEndpoint(Model):
        url = CharField(max_length=2000)
        description = CharField(max_length=200, default="")
        events = JSONField(default=list)
        enabled = BooleanField(default=True)
        secret = CharField(max_length=100)
        secret_rotated_at = DateTimeField()
        created_by = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "webhook_endpoint"

    db.create_tables([WebhookEndpoint])

    class WebhookDelivery(Model):
        endpoint = ForeignKeyField(WebhookEndpoint, on_delete="CASCADE")
        uid = CharField(max_length=40, unique=True)
        event_id = CharField(max_length=40)
        event_type = CharField(max_length=64)
        body = TextField()
        state = CharField(max_length=16, default="pending")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_attempt_at = DateTimeField(null=True)
        status_code = IntegerField(null=True)
        duration_ms = IntegerField(null=True)
        error = CharField(max_length=500, default="")
        response_excerpt = TextField(default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "webhook_delivery"
            indexes = ((("endpoint", "id"), False), (("state", "next_attempt_at"), False))

    db.create_tables([WebhookDelivery])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("webhook_delivery"))
    migrator.migrate(migrator.drop_table("webhook_endpoint"))
