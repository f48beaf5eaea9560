"""Commerce (issue 13): orders and events keyed by their provider's ids,
order lines and states, and agents' saved event filters."""

import datetime

from peewee import *


def up(migrator, db):
    # Rows written before this migration (demo data) get a fixed creation
    # time; a migration must not depend on the application's clock.
    epoch = datetime.datetime(2026, 1, 1)
    migrator.migrate(
        migrator.rename_column("order", "items", "lines"),
        migrator.alter_column_type("order", "external_id", CharField(max_length=255)),
        migrator.add_column("order", "source", CharField(max_length=64, default="api")),
        migrator.add_column("order", "name", CharField(max_length=64, default="")),
        migrator.add_column("order", "subtotal", DecimalField(max_digits=12, decimal_places=2, null=True)),
        migrator.add_column("order", "financial_status", CharField(max_length=32, null=True)),
        migrator.add_column("order", "fulfillment_status", CharField(max_length=32, null=True)),
        migrator.add_column("order", "cancelled_at", DateTimeField(null=True)),
        migrator.add_column("order", "updated_at", DateTimeField(null=True)),
        migrator.add_column("order", "url", CharField(max_length=2000, null=True)),
        migrator.add_column("order", "created_at", DateTimeField(default=epoch)),
        migrator.add_column("order", "synced_at", DateTimeField(default=epoch)),
        migrator.drop_index("order", "order_profile_id_placed_at"),
        migrator.add_index("order", ("source", "external_id"), unique=True),
        migrator.add_index("order", ("profile_id", "placed_at", "id")),
        migrator.add_column("profile_event", "source", CharField(max_length=64, default="helpline")),
        migrator.add_column("profile_event", "external_id", CharField(max_length=255, null=True)),
        migrator.add_column("profile_event", "created_at", DateTimeField(default=epoch)),
        migrator.drop_index("profile_event", "profileevent_profile_id_occurred_at"),
        migrator.add_index("profile_event", ("source", "external_id"), unique=True),
        migrator.add_index("profile_event", ("profile_id", "occurred_at", "id")),
        migrator.add_index("profile_event", ("profile_id", "metric", "occurred_at", "id")),
        migrator.add_index("profile_event", ("metric", "occurred_at")),
    )

    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class EventView(Model):
        owner = ForeignKeyField(Agent, on_delete="CASCADE")
        name = CharField(max_length=100)
        metric = CharField(max_length=100)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "event_view"
            indexes = ((("owner", "name"), True),)

    db.create_tables([EventView])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("event_view"))
    migrator.migrate(
        migrator.drop_index("profile_event", "profile_event_metric_occurred_at"),
        migrator.drop_index("profile_event", "profile_event_profile_id_metric_occurred_at_id"),
        migrator.drop_index("profile_event", "profile_event_profile_id_occurred_at_id"),
        migrator.drop_index("profile_event", "profile_event_source_external_id"),
        migrator.drop_column("profile_event", "created_at"),
        migrator.drop_column("profile_event", "external_id"),
        migrator.drop_column("profile_event", "source"),
        migrator.add_index("profile_event", ("profile_id", "occurred_at")),
        migrator.drop_index("order", "order_profile_id_placed_at_id"),
        migrator.drop_index("order", "order_source_external_id"),
        migrator.add_index("order", ("profile_id", "placed_at")),
        *[
            migrator.drop_column("order", column)
            for column in (
                "synced_at",
                "created_at",
                "url",
                "updated_at",
                "cancelled_at",
                "fulfillment_status",
                "financial_status",
                "subtotal",
                "name",
                "source",
            )
        ],
        migrator.rename_column("order", "lines", "items"),
    )
