"""Round-robin: each agent's place in the rotation."""

# Generated with playhouse.migrations.template.
from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class RoundRobinTurn(Model):
        agent = ForeignKeyField(Agent, primary_key=True, on_delete="CASCADE")
        turn = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "roundrobin_turn"

    db.create_tables([RoundRobinTurn])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("roundrobin_turn"))
