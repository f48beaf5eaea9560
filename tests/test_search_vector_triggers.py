"""Core migration 0019 (PostgreSQL): the ``search_vector`` columns of
``ticket``, ``message`` and ``profile`` are kept by triggers that run when
their text is written, not recomputed on every update as stored generated
columns were. The vectors stay exactly what 0006's expressions give, up and
down. Runs on a database of its own (the ``database`` fixture)."""

import os

import pytest
from playhouse.migrations import Runner

import migrations as core_migrations
from app.models import Message, Profile, Ticket
from app.testing.database import backend_url

pytestmark = pytest.mark.skipif(
    not (backend_url() or "").startswith("postgres"), reason="SQLite keeps its FTS5 tables by triggers already (0006)"
)

BEFORE = "0018_ticket_created_day_index"
TABLES = ("ticket", "message", "profile")
# What 0006 computes for each table (the generated columns' expressions).
EXPECTED = {
    "ticket": "to_tsvector('english', coalesce(subject, '')) || to_tsvector('spanish', coalesce(subject, ''))",
    "message": "to_tsvector('english', coalesce(text, '')) || to_tsvector('spanish', coalesce(text, ''))",
    "profile": "to_tsvector('simple', coalesce(name, '')) "
    "|| to_tsvector('simple', coalesce(email, '')) "
    "|| to_tsvector('simple', translate(coalesce(email, ''), '@.+-_', '     ')) "
    "|| to_tsvector('simple', coalesce(phone, '')) "
    "|| to_tsvector('simple', translate(coalesce(phone, ''), '@.+-_', '     '))",
}


def vectors(database):
    return {
        table: database.execute_sql(f"SELECT id, search_vector::text FROM {table} ORDER BY id").fetchall()
        for table in TABLES
    }


def stale(database):
    """Rows whose vector is not their text's, per table."""
    return {
        table: database.execute_sql(
            f"SELECT count(*) FROM {table} WHERE search_vector IS DISTINCT FROM ({EXPECTED[table]})"
        ).fetchone()[0]
        for table in TABLES
    }


def generated(database):
    return dict(
        database.execute_sql(
            "SELECT attrelid::regclass::text, attgenerated FROM pg_attribute "
            "WHERE attname = 'search_vector' AND attrelid::regclass::text = ANY(%s)",
            (list(TABLES),),
        ).fetchall()
    )


def vector_calls(database):
    """Calls of each table's vector function in the current transaction."""
    rows = database.execute_sql(
        "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname LIKE '%%search_vector'"
    ).fetchall()
    return {name.removesuffix("_search_vector"): calls for name, calls in rows}


def test_vectors_follow_the_text_only_and_stay_identical_up_and_down(database):
    runner = Runner(database, directory=os.path.dirname(core_migrations.__file__), table_name="migrations_core")
    runner.up(target=BEFORE)
    with database.bind_ctx([Profile, Ticket, Message]):
        ana = Profile.create(name="Ana Núñez", email="ana.nunez@example.net", phone="+14155550100")
        ticket = Ticket.create(channel="email", thread_key="t1", profile=ana, subject="Envío retrasado: blender")
        Message.create(ticket=ticket, channel="email", direction="inbound", author_type="customer", text="Cracked jug")
        Ticket.create(channel="sms", thread_key="t2", profile=ana, subject="")
    generated_vectors = vectors(database)
    assert generated(database) == dict.fromkeys(TABLES, "s")

    runner.up()
    assert generated(database) == dict.fromkeys(TABLES, "")
    assert vectors(database) == generated_vectors

    with database.bind_ctx([Profile, Ticket, Message]), database.atomic():
        database.execute_sql("SET LOCAL track_functions = 'pl'")
        # What the sweep, a delivery and a consent change write: no text.
        Ticket.update(status="closed", last_message_preview="Ticket closed").execute()
        Message.update(delivery_state="sent").execute()
        Profile.update(updated_at=Profile.created_at).execute()
        assert vector_calls(database) == {}
        # Text written: its vector again, for that row only.
        Ticket.update(subject="Refund for the toaster").where(Ticket.id == ticket.id).execute()
        Message.create(ticket=ticket, channel="email", direction="outbound", author_type="agent", text="On its way")
        Profile.update(email="ana@example.org").execute()
        # Setting a column to what it holds changes nothing to recompute.
        Ticket.update(subject=Ticket.subject).execute()
        assert vector_calls(database) == {"ticket": 1, "message": 1, "profile": 1}
        # A vector written by hand is replaced by its text's.
        database.execute_sql("UPDATE ticket SET search_vector = to_tsvector('simple', 'bogus')")
    assert stale(database) == dict.fromkeys(TABLES, 0)
    found = database.execute_sql(
        "SELECT id FROM ticket WHERE search_vector @@ websearch_to_tsquery('english', 'toasters')"
    ).fetchall()
    assert found == [(ticket.id,)]
    by_address = database.execute_sql(
        "SELECT id FROM profile WHERE search_vector @@ websearch_to_tsquery('simple', 'ana@example.org')"
    ).fetchall()
    assert by_address == [(ana.id,)]

    current = vectors(database)
    runner.down(target=BEFORE)
    assert generated(database) == dict.fromkeys(TABLES, "s")
    assert vectors(database) == current
    runner.up()
    assert vectors(database) == current
    assert stale(database) == dict.fromkeys(TABLES, 0)
