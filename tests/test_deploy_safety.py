"""Deploy safety: a host started before ``helpline migrate`` answers 503
with the hint (and recovers by itself), health checks, ``migrate --status``
exit codes, and concurrent ``helpline migrate`` runs."""

import os
import subprocess
import sys
import threading
from urllib.parse import urlparse, urlunparse

import pytest

from app import create_app
from app.db import connection
from app.testing import database

HINT = "run helpline migrate"


@pytest.fixture
def unmigrated(tmp_path):
    """An app whose database has no tables yet, re-checking the schema on every request."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": "sqlite:///" + str(tmp_path / "fresh.sqlite3"),
            "HUEY_IMMEDIATE": True,
            "STRICT_PLUGINS": True,
            "SCHEMA_CHECK_SECONDS": 0,
            "RATELIMIT_ENABLED": False,
        }
    )
    yield app
    app.extensions["helpline.db"].close()


def test_every_route_answers_503_with_the_hint_until_migrated_then_serves(unmigrated):
    client = unmigrated.test_client()
    page = client.get("/login")
    assert page.status_code == 503
    assert HINT in page.get_data(as_text=True)
    for path in ("/api/v1/tickets", "/events/stream", "/webchat/widget.js"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 503, path
        assert response.json["error"]["code"] == "migrations_pending"
        assert HINT in response.json["error"]["message"]
    assert client.post("/api/v1/session", json={"email": "a@b.c", "password": "x"}).status_code == 503

    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"]["ok"] is True
    assert ready.json["checks"]["migrations"]["ok"] is False
    assert "core: 0001_initial" in ready.json["checks"]["migrations"]["pending"]

    with unmigrated.app_context(), connection():
        unmigrated.extensions["helpline.plugins"].migrate()

    # The same process, no restart.
    assert client.get("/login").status_code == 200
    assert client.get("/api/v1/tickets").status_code == 401
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "migrations": {"ok": True, "pending": []},
            "queue": {"ok": True},
            "events": {"ok": True},
        },
    }


def test_a_current_schema_is_checked_once_per_process(app, client):
    from playhouse.test_utils import count_queries

    guard = app.extensions["helpline.schema_guard"]
    client.get("/login")
    assert guard.current is True
    with count_queries() as counter:
        client.get("/healthz")
    assert counter.count == 0  # no database at all


def test_readyz_names_the_database_that_cannot_be_reached(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
            "HUEY_IMMEDIATE": True,
            "STRICT_PLUGINS": True,
        }
    )
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"]["ok"] is False
    assert "connection" in ready.json["checks"]["database"]["error"]
    response = client.get("/api/v1/tickets")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    assert client.get("/healthz").status_code == 200


def _helpline(url, *args, tmp_path):
    env = {**os.environ, "HELPLINE_DATABASE_URL": url, "HELPLINE_SECRET_KEY": "test", "HELPLINE_STRICT_PLUGINS": "1"}
    env.pop("HELPLINE_HUEY_URL", None)
    command = [os.path.join(os.path.dirname(sys.executable), "helpline"), *args]
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_migrate_status_exit_codes(tmp_path):
    url = "sqlite:///" + str(tmp_path / "status.sqlite3")
    pending = _helpline(url, "migrate", "--status", tmp_path=tmp_path)
    assert pending.returncode == 1
    assert "[ ] core: 0001_initial" in pending.stdout

    assert _helpline(url, "migrate", tmp_path=tmp_path).returncode == 0
    assert _helpline(url, "migrate", "--status", tmp_path=tmp_path).returncode == 0

    down = _helpline("postgresql://postgres@127.0.0.1:1/nowhere", "migrate", "--status", tmp_path=tmp_path)
    assert down.returncode == 2
    assert down.stderr.startswith("Cannot connect to the database:")
    assert len(down.stderr.strip().splitlines()) == 1
    assert "Traceback" not in down.stderr + down.stdout


def _own_postgres_url(suffix):
    base = database.backend_url() or "postgresql://postgres@127.0.0.1:5432/helpline_test"
    parsed = urlparse(base)
    return urlunparse(parsed._replace(path=f"{parsed.path.rstrip('/')}_{suffix}_{os.getpid()}"))


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_concurrent_migrate_runs_both_succeed(backend, tmp_path):
    if backend == "postgres":
        url = _own_postgres_url("migratelock")
        database.ensure_postgres_database(url)
        database.reset_postgres_schema(url)
    else:
        url = "sqlite:///" + str(tmp_path / "concurrent.sqlite3")
    results = [None, None]

    def run(i):
        results[i] = _helpline(url, "migrate", tmp_path=tmp_path)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
    outputs = [r.stdout for r in results]
    # Each migration was applied by exactly one of the two runs.
    applied = [line for out in outputs for line in out.splitlines() if line.startswith("applied ")]
    assert len(applied) == len(set(applied))
    assert "applied core: 0001_initial" in applied
    assert _helpline(url, "migrate", "--status", tmp_path=tmp_path).returncode == 0
    if backend == "postgres":
        _drop_database(url)


def _drop_database(url):
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')
