"""bench/seed.py, the data set of every issue-16 benchmark: on SQLite it
loads with the full-text, counter and tag-copy triggers and the secondary
indexes set aside and derives all of it after. The database must be the one
the triggers would have made, and the app must work on it (both backends)."""

import shutil
import sqlite3
import sys
from pathlib import Path

from test_view_counters import check

from app.db import database_from_url, db
from app.models import Agent, Profile, Ticket
from app.services.views import list_tickets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seed import seed  # noqa: E402

TICKETS = 2_000
MESSAGES = TICKETS * 5


def test_seeded_database_keeps_every_counter_copy_and_index_the_app_reads(app):
    seed(TICKETS)

    assert Ticket.select().count() == TICKETS
    agents = list(Agent.select().order_by(Agent.id))
    # Counter rows, navigation counts, the tag rows' copies of their ticket
    # and tagged lists, each against a recount from the tickets.
    check(app, agents)

    agent = agents[1]
    page = list_tickets(agent, "all", {"status": ["open"]}, limit=25)[0]
    truth = [
        t.id
        for t in Ticket.select(Ticket.id)
        .where(Ticket.status == "open")
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(25)
    ]
    assert [t.id for t in page] == truth
    # Full-text search: a message's order number, a customer's address, a
    # Spanish word with its accent folded.
    assert [t.id for t in list_tickets(agent, "all", {"text": "1234"}, limit=25)[0]] == [1234]
    customer = Profile.get(Profile.email == "c42@example.net")
    found = {t.id for t in list_tickets(agent, "all", {"text": "c42@example.net"}, limit=25)[0]}
    assert found == {t.id for t in Ticket.select(Ticket.id).where(Ticket.profile == customer.id)}
    assert len(list_tickets(agent, "all", {"text": "envio"}, limit=25)[0]) == 25


def test_sqlite_bulk_load_makes_the_database_the_triggers_make(tmp_path, clock):
    """The same seed with every trigger firing row by row (``bulk=False``)
    into a second copy of the migrated database: the same rows in every
    table, the same schema (each index and trigger back), the same
    full-text matches, WAL again. On SQLite files of its own, whichever
    backend the suite runs on (PostgreSQL has no bulk path: its triggers
    fire while it loads)."""
    from app.testing.database import migrate_fresh

    bulk_path, plain_path = tmp_path / "bulk.sqlite3", tmp_path / "plain.sqlite3"
    config = {"DATABASE_URL": f"sqlite:///{bulk_path}", "SECRET_KEY": "test", "HUEY_IMMEDIATE": True, "CLOCK": clock}
    app = migrate_fresh({**config, "STRICT_PLUGINS": True})
    shutil.copyfile(bulk_path, plain_path)
    bulk = app.extensions["helpline.db"]
    with app.app_context():
        for database, by_row in ((database_from_url(f"sqlite:///{plain_path}"), True), (bulk, False)):
            db.initialize(database)
            db.connect()
            try:
                seed(TICKETS, bulk=not by_row)
            finally:
                db.close()
        db.initialize(bulk)

    a, b = sqlite3.connect(plain_path), sqlite3.connect(bulk.database)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
    assert a.execute(schema).fetchall() == b.execute(schema).fetchall()
    tables = [
        name
        for (name,) in a.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%fts%' AND name NOT LIKE 'migrations_%'"
        )
    ]
    assert {"ticket", "message", "profile", "ticket_tag", "ticket_tally", "ticket_tag_tally"} <= set(tables)
    for table in tables:
        # The agents' password hashes are salted; everything else is equal.
        columns = [c for _, c, *_ in a.execute(f'PRAGMA table_info("{table}")') if c != "password_hash"]
        rows = f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{table}"'
        assert sorted(a.execute(rows).fetchall(), key=repr) == sorted(b.execute(rows).fetchall(), key=repr), table
    assert b.execute("SELECT COUNT(*) FROM message").fetchone() == (MESSAGES,)
    for fts in ("ticket_fts", "message_fts", "profile_fts"):
        b.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")
        for term in ("refund", "envio", "order", "1234", "c42", "customer"):
            match = f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid"
            assert a.execute(match, (term,)).fetchall() == b.execute(match, (term,)).fetchall(), (fts, term)
    assert b.execute("PRAGMA journal_mode").fetchone() == ("wal",)
