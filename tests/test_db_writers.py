"""SQLite writers take turns on the writer lock (app.db.WriterLock) instead of
SQLite's busy handler: concurrent writers, from threads and from other
processes, lose nothing and never see "database is locked", even with the
busy timeout at zero (so nothing but the lock can be making them wait).

These tests use their own SQLite file whatever backend the suite runs on:
the writer lock exists only for SQLite."""

import subprocess
import sys
import textwrap
import threading

from app.db import database_from_url, db, write_transaction

WRITES = 60


def probe_database(path):
    database = database_from_url(f"sqlite:///{path}")
    database.connect()
    database.execute_sql("CREATE TABLE IF NOT EXISTS probe (who TEXT NOT NULL, n INTEGER NOT NULL)")
    database.close()
    return database


def write_turns(database, who, count):
    """``count`` read-then-write transactions; each row numbers itself from
    the writer's previous row, so a lost or interleaved write shows."""
    database.connect(reuse_if_open=True)
    database.execute_sql("PRAGMA busy_timeout = 0")
    try:
        for _ in range(count):
            with database.atomic("IMMEDIATE"):
                last = database.execute_sql("SELECT COALESCE(MAX(n), 0) FROM probe WHERE who = ?", (who,)).fetchone()
                database.execute_sql("INSERT INTO probe (who, n) VALUES (?, ?)", (who, last[0] + 1))
    finally:
        database.close()


def rows_by_writer(database):
    database.connect(reuse_if_open=True)
    try:
        rows = database.execute_sql("SELECT who, n FROM probe ORDER BY who, n").fetchall()
    finally:
        database.close()
    found = {}
    for who, n in rows:
        found.setdefault(who, []).append(n)
    return found


def test_threads_write_in_turn_without_busy_waits(tmp_path):
    database = probe_database(tmp_path / "writers.sqlite3")
    errors, start = [], threading.Barrier(8)

    def work(who):
        start.wait()
        try:
            write_turns(database, who, WRITES)
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"thread-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert rows_by_writer(database) == {f"thread-{i}": list(range(1, WRITES + 1)) for i in range(8)}


CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from test_db_writers import probe_database, write_turns

    database = probe_database(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()  # "go": every writer starts together
    write_turns(database, sys.argv[2], int(sys.argv[4]))
    """
)


def test_processes_and_threads_write_in_turn_without_busy_waits(tmp_path):
    path = tmp_path / "writers.sqlite3"
    database = probe_database(path)
    here = str(__import__("pathlib").Path(__file__).parent)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), f"process-{i}", here, str(WRITES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    errors, start = [], threading.Barrier(3)

    def work(who):
        start.wait()
        try:
            write_turns(database, who, WRITES)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"thread-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    start.wait()
    for thread in threads:
        thread.join()
    outcomes = [child.communicate(timeout=120) for child in children]

    assert errors == []
    assert [child.returncode for child in children] == [0, 0], [err for _out, err in outcomes]
    writers = ["process-0", "process-1", "thread-0", "thread-1"]
    assert rows_by_writer(database) == {who: list(range(1, WRITES + 1)) for who in writers}


def test_a_commit_lets_the_next_writer_in_before_after_commit_work(app):
    """Work run after commit (event hooks, assignment) may write again:
    the writer lock is already free by then."""
    from app.models import Profile

    done = []
    with write_transaction():
        Profile.create(name="First")

        def again():
            with write_transaction():
                Profile.create(name="Second, after the first committed")
            done.append(True)

        db.after_commit(again)

    assert done == [True]
    assert Profile.select().where(Profile.name.startswith("Second")).count() == 1


def test_web_threads_keep_their_sqlite_connection(app):
    """With SQLITE_KEEP_CONNECTIONS (the default) a thread's next request
    reuses its connection; without it each request opens and closes one.
    PostgreSQL connections come from the pool whatever the setting."""
    import peewee

    database = app.extensions["helpline.db"]
    sqlite = isinstance(database, peewee.SqliteDatabase)

    def connections_after_two_requests():
        seen = []

        def work():
            client = app.test_client()
            for _ in range(2):
                assert client.get("/api/v1/me").status_code == 401
                seen.append(None if database.is_closed() else database.connection())
            if not database.is_closed():
                database.close()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return seen

    assert app.config["SQLITE_KEEP_CONNECTIONS"] is True
    kept = connections_after_two_requests()
    if sqlite:
        assert kept[0] is not None and kept[0] is kept[1]
    else:
        assert kept == [None, None]

    app.config["SQLITE_KEEP_CONNECTIONS"] = False
    assert connections_after_two_requests() == [None, None]


def test_the_sqlite_task_queue_commits_like_the_database(app, tmp_path):
    """SqliteHuey's connection uses synchronous=NORMAL, as the main database
    does (docs/operations.md, "SQLite: connections and writers")."""
    from app.tasks import make_huey

    app.config["HUEY_IMMEDIATE"] = False
    app.config["HUEY_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    huey = make_huey(app)
    conn = huey.storage.conn
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
