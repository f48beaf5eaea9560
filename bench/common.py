"""Shared set-up for benchmarks: a migrated app on a scratch database."""

import argparse
import os
import statistics
import tempfile
import time


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--database-url",
        default=None,
        help="postgresql://... (the database is reset!) or empty for a scratch SQLite file",
    )
    return p


def make_app(database_url=None, **overrides):
    from app import create_app
    from app.testing import database

    if database_url:
        database.ensure_postgres_database(database_url)
        database.reset_postgres_schema(database_url)
        url = database_url
    else:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="helpline-bench-"), "bench.sqlite3")
    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "HUEY_IMMEDIATE": True,
        "PASSWORD_HASH_COST": "low",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }
    database.migrate_fresh(config)
    app = create_app(config)
    return app, url


def timed(fn, repeat=7):
    """Median and best wall time in milliseconds over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)
