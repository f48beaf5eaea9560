"""``helpline backup`` / ``helpline restore``: an online copy of the SQLite
database and its restore; PostgreSQL deployments are told to use pg_dump."""

import sqlite3

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.db import is_postgres
from app.models import Message, Ticket


@pytest.fixture
def cli(app):
    def invoke(*args, input=None):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)

    return invoke


def test_backup_then_restore_brings_the_data_back(cli, fake_channel, tmp_path):
    if is_postgres():
        answer = cli("backup", str(tmp_path / "x.sqlite3"))
        assert answer.exit_code == 1 and "pg_dump --format=custom" in answer.output
        answer = cli("restore", str(tmp_path / "x.sqlite3"), "--yes")
        assert answer.exit_code == 1 and "pg_restore" in answer.output
        return
    fake_channel.receive("Kept in the backup", email="ana@example.net")
    target = tmp_path / "backup.sqlite3"
    answer = cli("backup", str(target))
    assert answer.exit_code == 0, answer.output
    assert "Backing up" in answer.output and "checked intact" in answer.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM ticket").fetchone() == (1,)

    fake_channel.receive("Written after the backup", email="bo@example.net")
    assert Ticket.select().count() == 2
    refused = cli("restore", str(target), input="n\n")
    assert refused.exit_code == 1 and Ticket.select().count() == 2  # asked, and declined
    answer = cli("restore", str(target), "--yes")
    assert answer.exit_code == 0, answer.output
    assert [m.text for m in Message.select()] == ["Kept in the backup"]


def test_backup_never_overwrites_and_restore_refuses_a_bad_file(cli, tmp_path, app):
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"")
    if is_postgres():  # nothing is read or written: the guidance, whatever the file
        answer = cli("backup", str(existing), "--force")
        assert answer.exit_code == 1 and "pg_dump" in answer.output and existing.read_bytes() == b""
        return
    answer = cli("backup", str(existing))
    assert answer.exit_code == 1 and "exists" in answer.output
    assert cli("backup", str(existing), "--force").exit_code == 0

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    answer = cli("restore", str(garbage), "--yes")
    assert answer.exit_code == 1 and "not an SQLite database" in answer.output
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    answer = cli("restore", str(other), "--yes")
    assert answer.exit_code == 1 and "not a Helpline database" in answer.output
    answer = cli("restore", str(tmp_path / "missing.sqlite3"), "--yes")
    assert answer.exit_code == 1 and "no such file" in answer.output
