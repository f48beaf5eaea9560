"""The delivery attempts log (written with `helpline makemigration jsonhook attempts`)."""

# Generated from a schema diff on 2026-12-02 04:11.
from peewee import *

# created_at's default (app.plugin.now) is applied by the model, not by the table.


def up(migrator, db):
    class JsonHookAttempt(Model):
        message_id = IntegerField()
        attempt = IntegerField()
        status = IntegerField(null=True)
        error = TextField(null=True)
        external_id = CharField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "jsonhook_attempt"
            indexes = ((("message_id", "attempt"), False),)

    db.create_tables([JsonHookAttempt])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("jsonhook_attempt"))
