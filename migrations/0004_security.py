"""Security (issue 20): server-side sessions (``agent_session``; sessions
signed before this migration carry no session id and simply end) and the
audit log (``audit_entry``), API token scopes and expiry,
and agents' optional TOTP two-factor."""

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

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = ForeignKeyField(Agent, null=True, on_delete="SET NULL")
        action = CharField(max_length=64)
        target = CharField(max_length=200, default="")
        details = TextField(default="{}")
        ip = CharField(max_length=64, default="")

        class Meta:
            database = db
            table_name = "audit_entry"

    db.create_tables([AgentSession, AuditEntry])
    migrator.migrate(
        migrator.add_column("api_token", "scope", CharField(max_length=16, default="full")),
        migrator.add_column("api_token", "expires_at", DateTimeField(null=True)),
        migrator.add_column("agent", "totp_secret", CharField(max_length=64, null=True)),
        migrator.add_column("agent", "totp_enabled_at", DateTimeField(null=True)),
        migrator.add_column("agent", "totp_last_step", BigIntegerField(null=True)),
        migrator.add_column("agent", "totp_recovery", TextField(default="[]")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("api_token", "scope"),
        migrator.drop_column("api_token", "expires_at"),
        *[
            migrator.drop_column("agent", c)
            for c in ("totp_secret", "totp_enabled_at", "totp_last_step", "totp_recovery")
        ],
    )
    migrator.migrate(migrator.drop_table("audit_entry"), migrator.drop_table("agent_session"))
