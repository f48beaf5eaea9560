"""Helpers for the Shopify plugin tests (fixtures are in conftest.py)."""

import threading

from app.db import db


def parallel(app, calls):
    """Run each ``call(client)`` at once in its own thread with its own test
    client and database connection; returns the responses."""
    responses, barrier = [], threading.Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait()
        try:
            responses.append(call(client))
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
