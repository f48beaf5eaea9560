"""``idempotency_key``: the ``Idempotency-Key`` header of API requests that
create something (a reply or note), so a client's retry never creates it
twice."""

from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class IdempotencyKey(Model):
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        key = CharField(max_length=255)
        fingerprint = CharField(max_length=64)
        resource_id = BigIntegerField()
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "idempotency_key"
            indexes = ((("agent", "key"), True),)

    db.create_tables([IdempotencyKey])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("idempotency_key"))
