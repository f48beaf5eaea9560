"""Core migration 0002: what profiles knew (addresses, ``external_ids``)
becomes identities, emails typed into web chat become unverified claims,
and ``down`` gives ``external_ids`` back. Runs on a database of its own
(the ``database`` fixture of tests/conftest.py)."""

import datetime as dt
import os

import peewee
from playhouse.migrations import Runner

import migrations as core_migrations

AT = dt.datetime(2024, 5, 1, 12, 0)


def legacy_models(database):
    class Profile(peewee.Model):
        name = peewee.CharField(default="")
        email = peewee.CharField(null=True)
        phone = peewee.CharField(null=True)
        external_ids = peewee.JSONField(default=dict)
        created_at = peewee.DateTimeField(default=AT)
        updated_at = peewee.DateTimeField(default=AT)

        class Meta:
            table_name = "profile"

    class Ticket(peewee.Model):
        channel = peewee.CharField()
        thread_key = peewee.CharField()
        profile = peewee.ForeignKeyField(Profile)
        status = peewee.CharField(default="open")
        subject = peewee.CharField(default="")
        reopen_count = peewee.IntegerField(default=0)
        last_message_preview = peewee.CharField(default="")
        created_at = peewee.DateTimeField(default=AT)
        updated_at = peewee.DateTimeField(default=AT)

        class Meta:
            table_name = "ticket"

    Profile.bind(database)
    Ticket.bind(database)
    return Profile, Ticket


def identities(database):
    rows = database.execute_sql(
        "SELECT profile_id, source, external_id, verified FROM contact_identity ORDER BY profile_id, source"
    )
    return [(p, s, e, bool(v)) for p, s, e, v in rows]


def test_identities_migration_up_and_down(database):
    runner = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    runner.up(target="0001_initial")
    Profile, Ticket = legacy_models(database)
    ana = Profile.create(name="Ana", email="ana@example.net", phone="+14155550100")
    typed = Profile.create(email="typed@example.net", external_ids={"webchat_visitor": "vis-1"})
    twin = Profile.create(external_ids={"webchat_visitor": "vis-1"})  # each chat message used to make one
    both = Profile.create(email="bo@example.net", external_ids={"webchat_visitor": "vis-2"})
    other = Profile.create(external_ids={"telegram": 12345, "empty": "", "long": "x" * 300})
    Ticket.create(channel="webchat", thread_key="c1", profile=typed)
    Ticket.create(channel="webchat", thread_key="c2", profile=both)
    Ticket.create(channel="email", thread_key="<m@x>", profile=both)

    assert runner.up(target="0002_identities") == ["0002_identities"]  # later migrations are not its business

    assert identities(database) == [
        (ana.id, "email", "ana@example.net", True),
        (ana.id, "phone", "+14155550100", True),
        (typed.id, "email", "typed@example.net", False),
        (typed.id, "webchat", "vis-1", True),
        (both.id, "email", "bo@example.net", True),
        (both.id, "webchat", "vis-2", True),
        (other.id, "telegram", "12345", True),
    ]
    assert twin.id not in {row[0] for row in identities(database)}
    emails = dict(database.execute_sql("SELECT id, email FROM profile").fetchall())
    assert emails[typed.id] is None and emails[both.id] == "bo@example.net"
    assert "external_ids" not in {c.name for c in database.get_columns("profile")}

    assert runner.down() == ["0002_identities"]
    assert "contact_identity" not in database.get_tables()
    restored = {p.id: p.external_ids for p in Profile.select()}
    assert restored[typed.id] == {"webchat_visitor": "vis-1"}
    assert restored[other.id] == {"telegram": "12345"}
    assert restored[ana.id] == {}


def test_webchat_keeps_a_digest_of_the_visitor_id(database):
    from plugins.webchat import conversations
    from plugins.webchat import migrations as webchat_migrations

    core = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    webchat = Runner(database, directory=os.path.dirname(webchat_migrations.__file__), table_name="migrations_webchat")
    core.up()
    webchat.up(target="0001_initial")
    profile_id = database.execute_sql(
        "INSERT INTO profile (name, created_at, updated_at) VALUES ('Ada', '2024-05-01', '2024-05-01') RETURNING id"
    ).fetchone()[0]
    database.execute_sql(
        "INSERT INTO contact_identity (profile_id, source, external_id, verified, created_at) "
        f"VALUES ({profile_id}, 'webchat', 'visitor-secret-1', TRUE, '2024-05-01')"
    )
    database.execute_sql(
        "INSERT INTO webchat_conversation (public_id, chain_id, visitor_id, site_key, visitor_name, page_url, "
        "open_streams, last_delivered_message_id, followup_through_message_id, created_at) "
        "VALUES ('c1', 'c1', 'visitor-secret-1', 'k', '', '', 0, 0, 0, '2024-05-01')"
    )

    assert webchat.up(target="0002_visitor_identity_digest") == ["0002_visitor_identity_digest"]
    digest = conversations.visitor_identity("visitor-secret-1")
    assert identities(database) == [(profile_id, "webchat", digest, True)]
    assert webchat.down() == ["0002_visitor_identity_digest"]
    assert identities(database) == [(profile_id, "webchat", "visitor-secret-1", True)]
