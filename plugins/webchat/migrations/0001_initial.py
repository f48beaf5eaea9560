"""Web chat tables: conversations (visitor, presence, seen replies) and the
follow-up email log."""

# Generated with playhouse.migrations.template; Python-side defaults (clock.now)
# live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = "ticket"

    class Conversation(Model):
        public_id = CharField(unique=True, max_length=40)
        chain_id = CharField(max_length=40)
        visitor_id = CharField(index=True, max_length=40)
        site_key = CharField(max_length=64)
        ticket = ForeignKeyField(Ticket, unique=True, null=True, on_delete="SET NULL")
        successor = ForeignKeyField("self", null=True, on_delete="SET NULL")
        visitor_name = CharField(max_length=200, default="")
        visitor_email = CharField(null=True, max_length=254)
        page_url = CharField(max_length=500, default="")
        created_at = DateTimeField()
        last_seen_at = DateTimeField(null=True)
        left_at = DateTimeField(null=True)
        open_streams = IntegerField(default=0)
        last_delivered_message_id = IntegerField(default=0)
        followup_through_message_id = IntegerField(default=0)
        last_auto_reply_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "webchat_conversation"
            indexes = ((("visitor_email", "left_at"), False),)

    db.create_tables([Conversation])

    class FollowupEmail(Model):
        conversation = ForeignKeyField(Conversation, on_delete="CASCADE")
        to_email = CharField(max_length=254)
        first_message_id = IntegerField()
        last_message_id = IntegerField()
        message_count = IntegerField()
        sent_at = DateTimeField()

        class Meta:
            database = db
            table_name = "webchat_followup_email"
            indexes = ((("conversation", "sent_at"), False),)

    db.create_tables([FollowupEmail])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("webchat_followup_email"))
    migrator.migrate(migrator.drop_table("webchat_conversation"))
