"""The ``notification`` table (an agent's stored notifications: assigned,
mentioned, customer reply on my ticket, new ticket) and each agent's
``notification_preference`` (sound, desktop notifications, which kinds)."""

from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class Ticket(Model):
        class Meta:
            database = db
            table_name = "ticket"

    class Message(Model):
        class Meta:
            database = db
            table_name = "message"

    class Notification(Model):
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        kind = CharField(max_length=16)
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        message = ForeignKeyField(Message, null=True, on_delete="SET NULL")
        actor = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "notification"
            indexes = (
                (("agent", "id"), False),
                (("agent", "read_at"), False),
                (("agent", "ticket", "read_at"), False),
            )

    class NotificationPreference(Model):
        agent = ForeignKeyField(Agent, primary_key=True, on_delete="CASCADE")
        sound = BooleanField(default=False)
        desktop = BooleanField(default=False)
        kinds = JSONField(default=list)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "notification_preference"

    db.create_tables([Notification, NotificationPreference])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("notification_preference"))
    migrator.migrate(migrator.drop_table("notification"))
