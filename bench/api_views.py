"""Benchmark: the first page of each view through the HTTP API, at scale,
with a concurrent client.

Builds a fresh database with ``bench/seed.py`` (``--tickets`` tickets,
default 100k), serves the real app with werkzeug's threaded server on
127.0.0.1 (an ephemeral port), and has ``--concurrency`` client threads fetch
``GET /api/v1/tickets?view=...&limit=25`` with a Bearer token, ``--requests``
times per view. Prints latency percentiles and throughput per view.

    python bench/api_views.py --tickets 100000 --concurrency 8 --requests 200

SQLite in a temporary folder by default; ``--database-url postgresql://...``
runs on an (empty, disposable) PostgreSQL database instead.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(app, tickets):
    """The ``bench/seed.py`` data set, a saved view and a token."""
    from app.auth import create_token
    from app.db import db
    from app.models import Agent
    from app.services.views import create_view
    from bench.seed import seed

    seed(tickets)
    # An agent holding open tickets: the first (this read ``.offset(1).get()``,
    # which peewee's get() pages from the first row anyway).
    me = Agent.select().order_by(Agent.id).first()
    view = create_view(me, "VIP open", {"status": ["open"], "tag": "vip"})
    _, token = create_token(me, "bench")
    db.execute_sql("ANALYZE")  # fresh statistics, as a live database would have
    return token, [
        ("mine", "view=mine"),
        ("unassigned", "view=unassigned"),
        ("all", "view=all"),
        ("all, created asc", "view=all&sort=created&order=asc"),
        ("all, search", "view=all&q=refund"),
        ("saved view (open, tag vip)", f"view={view.id}"),
    ]


def fetch(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
        assert response.status == 200
    return time.perf_counter() - start, len(body["items"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="requests per view")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from app import create_app
    from app.db import db

    folder = tempfile.mkdtemp(prefix="helpline-api-bench-")
    url = args.database_url or "sqlite:///" + os.path.join(folder, "bench.sqlite3")
    app = create_app(
        {
            "DATABASE_URL": url,
            "AUTO_MIGRATE": True,
            "SECRET_KEY": "bench",
            "HUEY_IMMEDIATE": True,
            "LOG_LEVEL": "WARNING",
        }
    )
    started = time.perf_counter()
    with app.app_context():
        db.connect(reuse_if_open=True)
        token, views = build(app, args.tickets)
        db.close()
    print(f"built {args.tickets} tickets in {time.perf_counter() - started:.1f}s ({url.split(':')[0]})")

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/api/v1/tickets?limit=25&"
    print(f"{'view':30} {'items':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>7}")
    try:
        for name, query in views:
            fetch(base + query, token)  # warm up
            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                t0 = time.perf_counter()
                results = list(pool.map(lambda _: fetch(base + query, token), range(args.requests)))
                wall = time.perf_counter() - t0
            times = sorted(r[0] * 1000 for r in results)
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{name:30} {results[0][1]:>5} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f} "
                f"{len(times) / wall:>7.1f}"
            )
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
