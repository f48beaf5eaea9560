"""The email plugin's table of automatic mail dropped by the loop guard."""

# Generated with playhouse.migrations.template; the received_at default
# (clock.now) lives in the model, not in the schema.
from peewee import *


def up(migrator, db):
    class DroppedEmail(Model):
        message_id = CharField()
        sender = CharField(max_length=254, default="")
        subject = CharField(default="")
        reason = CharField(max_length=32)
        raw_key = CharField(null=True, max_length=64)
        received_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "email_dropped"
            indexes = ((("message_id",), True),)

    db.create_tables([DroppedEmail])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("email_dropped"))
