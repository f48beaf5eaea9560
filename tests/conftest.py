"""Core tests use the same fixtures a third-party plugin gets from the
``helpline`` pytest plugin (app.testing.plugin), plus the few below that
only these tests need."""

import threading

import pytest


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
