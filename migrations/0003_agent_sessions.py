"""Server-side sessions (issue 20): the ``agent_session`` table. Sessions
signed before this migration carry no session id and simply end."""

from peewee import *


def up(migrator, db):
    class Agent(Model):
        class Meta:
            database = db
            table_name = "agent"

    class AgentSession(Model):
        agent = ForeignKeyField(Agent, on_delete="CASCADE")
        id_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        ip = CharField(max_length=64, default="")
        user_agent = CharField(max_length=255, default="")

        class Meta:
            database = db
            table_name = "agent_session"

    db.create_tables([AgentSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("agent_session"))
