"""Core tests use the same fixtures a third-party plugin gets from the
``helpline`` pytest plugin (app.testing.plugin), plus the few below that
only these tests need."""

import os
import threading

import pytest

from app.db import database_from_url
from app.testing.database import backend_url, ensure_postgres_database, reset_postgres_schema

IMG_DIR = os.path.join(os.path.dirname(__file__), "..", "docs", "img")


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, "name")``: with ``UI_SCREENSHOTS=1`` it writes
    docs/img/name.png for the user guide; otherwise into the test's temporary
    folder, so an ordinary test run leaves the worktree clean."""
    folder = IMG_DIR if os.environ.get("UI_SCREENSHOTS") == "1" else str(tmp_path)

    def shoot(page, name):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"))

    return shoot


@pytest.fixture
def in_threads(app):
    """``in_threads(work, n=8)`` runs ``work(i)`` for i in range(n) in n
    threads released together, each in its own app context and database
    connection; returns the exceptions they raised (none, when all went
    well)."""

    def run(work, n=8):
        from app.db import db

        barrier, errors = threading.Barrier(n), []

        def worker(i):
            try:
                with app.app_context():
                    barrier.wait()
                    work(i)
                    db.close()
            except Exception as exc:  # reported to the test
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    return run


@pytest.fixture
def database(tmp_path):
    """An empty database of its own (SQLite in ``tmp_path``, or a
    ``<test database>_migration`` PostgreSQL database, emptied), connected,
    for tests that run migrations step by step."""
    url = backend_url()
    if url:
        url = url.split("?")[0] + "_migration"
        ensure_postgres_database(url)
        reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path / 'migration.sqlite3'}"
    database = database_from_url(url)
    database.connect()
    yield database
    database.close()


@pytest.fixture
def support(make_agent):
    """A support agent (the inbox role with the fewest rights)."""
    return make_agent(role="support", name="Sam Support")


@pytest.fixture
def manager(make_agent):
    """A manager: shared views, macros and reports, no settings."""
    return make_agent(role="manager", name="Mia Manager")
