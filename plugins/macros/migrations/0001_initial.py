"""Macros, bulk-apply jobs and their per-ticket results."""

# Generated with playhouse.migrations.template; Python-side defaults (clock.now)
# live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class Macro(Model):
        name = CharField(max_length=100)
        name_key = CharField(max_length=100)
        body = TextField(default="")
        actions = JSONField(default=list)
        owner = ForeignKeyField(Agent, on_delete="CASCADE")
        shared = BooleanField(default=False)
        usage_count = IntegerField(default=0)
        last_used_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "macro"
            indexes = ((("shared", "name_key", "id"), False), (("owner", "name_key", "id"), False))

    db.create_tables([Macro])

    class MacroBulkJob(Model):
        macro = ForeignKeyField(Macro, null=True, on_delete="SET NULL")
        macro_name = CharField(max_length=100)
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        ticket_ids = JSONField(default=list)
        state = CharField(max_length=16, default="queued")
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        succeeded = IntegerField(default=0)
        failed = IntegerField(default=0)
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "macro_bulk_job"
            indexes = ((("agent", "created_at"), False),)

    db.create_tables([MacroBulkJob])

    class MacroBulkResult(Model):
        job = ForeignKeyField(MacroBulkJob, on_delete="CASCADE")
        ticket_id = IntegerField()
        ok = BooleanField()
        code = CharField(max_length=64, default="ok")
        message = TextField(default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "macro_bulk_result"
            indexes = ((("job", "ticket_id"), True),)

    db.create_tables([MacroBulkResult])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("macro_bulk_result"))
    migrator.migrate(migrator.drop_table("macro_bulk_job"))
    migrator.migrate(migrator.drop_table("macro"))
