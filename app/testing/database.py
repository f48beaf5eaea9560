"""Test databases: a migrated SQLite template copied per test, or one
PostgreSQL database (created by the suite) truncated between tests."""

import os
from urllib.parse import urlparse, urlunparse


def backend_url():
    """The PostgreSQL URL under test, from HELPLINE_DATABASE_URL, or None
    for SQLite."""
    url = os.environ.get("HELPLINE_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def ensure_postgres_database(url):
    """Create the database named in ``url`` if it does not exist."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def reset_postgres_schema(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def migrate_fresh(config):
    """Build an app on ``config`` and apply every migration."""
    from .. import create_app
    from ..db import connection

    app = create_app(config)
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].migrate()
    app.extensions["helpline.db"].close()
    return app


def truncate_all(app):
    from ..db import db

    models = app.extensions["helpline.plugins"].all_models()
    tables = ", ".join(f'"{m._meta.table_name}"' for m in models)
    db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
