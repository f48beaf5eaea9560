"""Core tables: agents, tokens, profiles, tickets, messages, outbox,
read markers, plugin state and saved views."""

# Generated with playhouse.migrations.template; Python-side defaults (clock.now)
# live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class Profile(Model):
        name = CharField(max_length=200, default="")
        email = CharField(unique=True, null=True, max_length=254)
        phone = CharField(unique=True, null=True, max_length=20)
        sms_consent = CharField(null=True, max_length=16)
        external_ids = JSONField(default=dict)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "profile"

    db.create_tables([Profile])

    class Agent(Model):
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=120)
        password_hash = CharField(default="")
        role = CharField(max_length=32, default="support")
        presence = CharField(max_length=16, default="online")
        presence_effective = CharField(max_length=16, default="offline")
        heartbeat_at = DateTimeField(null=True)
        last_assigned_at = DateTimeField(null=True)
        timezone = CharField(max_length=64, default="UTC")
        is_active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "agent"

    db.create_tables([Agent])

    class Ticket(Model):
        channel = CharField(max_length=32)
        thread_key = CharField()
        profile = ForeignKeyField(Profile, on_delete="CASCADE")
        status = CharField(max_length=16, default="open")
        assignee = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        subject = CharField(default="")
        created_at = DateTimeField()
        updated_at = DateTimeField()
        snoozed_until = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        closed_reason = CharField(null=True, max_length=32)
        first_response_at = DateTimeField(null=True)
        last_customer_message_at = DateTimeField(null=True)
        awaiting_customer_since = DateTimeField(null=True)
        customer_typing_until = DateTimeField(null=True)
        reopen_count = IntegerField(default=0)
        reopened_at = DateTimeField(null=True)
        last_message_preview = CharField(max_length=200, default="")
        last_inbound_message_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "ticket"
            indexes = (
                (("status", "updated_at", "id"), False),
                (("assignee", "status", "updated_at", "id"), False),
                (("channel", "thread_key"), False),
                (("profile", "created_at"), False),
                (("awaiting_customer_since",), False),
                (("snoozed_until",), False),
                (("created_at", "id"), False),
                (("updated_at", "id"), False),
            )

    db.create_tables([Ticket])

    class Activity(Model):
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        actor = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        action = CharField(max_length=32)
        data = JSONField(default=dict)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "activity"
            indexes = ((("ticket", "created_at"), False),)

    db.create_tables([Activity])

    class ApiToken(Model):
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        name = CharField(max_length=120)
        token_hash = CharField(unique=True, max_length=64)
        prefix = CharField(max_length=12)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "api_token"

    db.create_tables([ApiToken])

    class Message(Model):
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        channel = CharField(max_length=32)
        direction = CharField(max_length=8)
        kind = CharField(max_length=8, default="message")
        author_type = CharField(max_length=8)
        author_agent = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        text = TextField(default="")
        html = TextField(default="")
        attachments = JSONField(default=list)
        external_id = CharField(null=True)
        delivery_state = CharField(null=True, max_length=8)
        delivery_error = TextField(null=True)
        attempts = IntegerField(default=0)
        meta = JSONField(default=dict)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "message"
            indexes = ((("channel", "external_id"), True), (("ticket", "id"), False))

    db.create_tables([Message])

    class Order(Model):
        profile = ForeignKeyField(Profile, on_delete="CASCADE")
        external_id = CharField(max_length=100)
        total = DecimalField(max_digits=12, decimal_places=2, default=0)
        currency = CharField(max_length=3, default="USD")
        status = CharField(max_length=32, default="placed")
        items = JSONField(default=list)
        placed_at = DateTimeField()

        class Meta:
            database = db
            table_name = "order"
            indexes = ((("profile", "placed_at"), False),)

    db.create_tables([Order])

    class Outbox(Model):
        message = ForeignKeyField(Message, unique=True, on_delete="CASCADE")
        state = CharField(max_length=8, default="pending")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_error = TextField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "outbox"
            indexes = ((("state", "next_attempt_at"), False),)

    db.create_tables([Outbox])

    class PluginState(Model):
        name = CharField(unique=True, max_length=64)
        enabled = BooleanField(default=True)
        settings = JSONField(default=dict)
        version = IntegerField(unique=True, default=0)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "plugin_state"

    db.create_tables([PluginState])

    class ProfileEvent(Model):
        profile = ForeignKeyField(Profile, on_delete="CASCADE")
        metric = CharField(max_length=100)
        properties = JSONField(default=dict)
        occurred_at = DateTimeField()

        class Meta:
            database = db
            table_name = "profile_event"
            indexes = ((("profile", "occurred_at"), False),)

    db.create_tables([ProfileEvent])

    class ReadMarker(Model):
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        last_read_message_id = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "read_marker"
            indexes = ((("agent", "ticket"), True),)

    db.create_tables([ReadMarker])

    class SavedView(Model):
        name = CharField(max_length=100)
        owner = ForeignKeyField(Agent, on_delete="CASCADE")
        shared = BooleanField(default=False)
        filters = JSONField(default=dict)
        position = IntegerField(default=0)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "saved_view"
            indexes = ((("owner", "position"), False), (("shared", "position"), False))

    db.create_tables([SavedView])

    class Tag(Model):
        name = CharField(unique=True, max_length=64)

        class Meta:
            database = db
            table_name = "tag"

    db.create_tables([Tag])

    class TicketTag(Model):
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        tag = ForeignKeyField(Tag, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "ticket_tag"
            indexes = ((("ticket", "tag"), True), (("tag", "ticket"), False))

    db.create_tables([TicketTag])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("ticket_tag"))
    migrator.migrate(migrator.drop_table("tag"))
    migrator.migrate(migrator.drop_table("saved_view"))
    migrator.migrate(migrator.drop_table("read_marker"))
    migrator.migrate(migrator.drop_table("profile_event"))
    migrator.migrate(migrator.drop_table("plugin_state"))
    migrator.migrate(migrator.drop_table("outbox"))
    migrator.migrate(migrator.drop_table("order"))
    migrator.migrate(migrator.drop_table("message"))
    migrator.migrate(migrator.drop_table("api_token"))
    migrator.migrate(migrator.drop_table("activity"))
    migrator.migrate(migrator.drop_table("ticket"))
    migrator.migrate(migrator.drop_table("agent"))
    migrator.migrate(migrator.drop_table("profile"))
