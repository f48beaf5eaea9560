"""Application set-up: configuration from the environment, proxies."""

from flask import request

from app import create_app


def _app(app, **config):
    base = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE_URL", "HUEY_IMMEDIATE", "CLOCK")}
    made = create_app({**base, **config})

    @made.get("/whoami")
    def whoami():
        return request.remote_addr

    return made


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(app):
    behind = _app(app, PROXY_HOPS=1).test_client()
    assert behind.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"203.0.113.9"


def test_without_proxy_hops_forwarding_headers_are_not_trusted(app):
    direct = _app(app).test_client()
    assert direct.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"127.0.0.1"


def test_environment_overrides_defaults(app, monkeypatch):
    monkeypatch.setenv("HELPLINE_OUTBOX_MAX_ATTEMPTS", "9")
    monkeypatch.setenv("HELPLINE_DISABLED_PLUGINS", "macros")
    made = _app(app)
    assert made.config["OUTBOX_MAX_ATTEMPTS"] == 9
    assert made.extensions["helpline.plugins"].infos["macros"].status == "blocked"


def test_postgresql_connections_are_pooled_by_configured_size():
    from playhouse.pool import PooledPostgresqlDatabase

    from app.db import close_pool, database_from_url

    url = "postgresql://helpline@127.0.0.1:5432/helpline"
    pooled = database_from_url(url, pool_size=7)  # built, not connected
    assert isinstance(pooled, PooledPostgresqlDatabase) and pooled._max_connections == 7
    close_pool(pooled)  # nothing open: a no-op, not an error
    assert not isinstance(database_from_url(url, pool_size=0), PooledPostgresqlDatabase)
    assert not isinstance(database_from_url("sqlite:///:memory:", pool_size=7), PooledPostgresqlDatabase)


def test_pool_size_comes_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("HELPLINE_DB_POOL_SIZE", "3")
    assert _app(app).config["DB_POOL_SIZE"] == 3


def test_the_instance_folder_comes_from_the_environment(app, monkeypatch, tmp_path):
    """HELPLINE_INSTANCE_PATH puts a quickstart's files where one asks (README)."""
    monkeypatch.setenv("HELPLINE_INSTANCE_PATH", str(tmp_path / "shop"))
    monkeypatch.delenv("HELPLINE_SECRET_KEY", raising=False)
    made = create_app({k: app.config[k] for k in ("TESTING", "DATABASE_URL", "HUEY_IMMEDIATE", "CLOCK")})
    assert made.instance_path == str(tmp_path / "shop")
    # The generated secret key, like the default database, goes there.
    assert (tmp_path / "shop" / "secret_key").read_text() == made.config["SECRET_KEY"]


def test_a_thrown_away_app_leaves_no_database_session_open(app):
    """A connection a thread took from the pool and never handed back (the
    thread ended) is closed with the pool, as the test kit does after every
    test: otherwise a long suite holds a server session per app until
    PostgreSQL refuses clients ("too many clients already")."""
    import threading

    from playhouse.pool import PooledDatabase

    from app.db import close_pool, is_postgres

    made = _app(app, DB_POOL_SIZE=4)
    database = made.extensions["helpline.db"]
    if not is_postgres():  # SQLite has no server sessions and is never pooled
        assert not isinstance(database, PooledDatabase)
        return
    import time

    import psycopg

    pids = []
    worker = threading.Thread(target=lambda: pids.append(database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]))
    worker.start()  # takes a connection from the pool and ends without handing it back
    worker.join()

    def open_session():
        with psycopg.connect(made.config["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", pids).fetchone()[0] == 1

    assert open_session()
    close_pool(database)
    deadline = time.monotonic() + 30  # a closed session's server process ends a moment later
    while open_session() and time.monotonic() < deadline:
        pass
    assert not open_session()
