"""Benchmark: the first page of each view through the HTTP API, at scale,
with a concurrent client.

Builds a fresh database with set-based inserts (``--tickets`` tickets,
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
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHUNK = 1000


def build(app, tickets, seed=7):
    """Agents, profiles, tickets, tags and a saved view, set-based."""
    from app.auth import create_token
    from app.db import db
    from app.models import Agent, Profile, Tag, Ticket, TicketTag
    from app.services.views import create_view

    rng = random.Random(seed)
    base = dt.datetime(2026, 1, 1)
    with db.atomic():
        Agent.insert_many(
            [
                {
                    "email": f"agent{i}@example.com",
                    "name": f"Agent {i}",
                    "role": "support",
                    "password_hash": "",
                    "created_at": base,
                }
                for i in range(20)
            ]
        ).execute()
        agent_ids = [a.id for a in Agent.select(Agent.id)]
        profiles = max(1000, tickets // 5)
        for start in range(0, profiles, CHUNK):
            Profile.insert_many(
                [
                    {"name": f"Customer {i}", "email": f"c{i}@example.net", "created_at": base, "updated_at": base}
                    for i in range(start, min(profiles, start + CHUNK))
                ]
            ).execute()
        profile_ids = [p.id for p in Profile.select(Profile.id)]
        for start in range(0, tickets, CHUNK):
            rows = []
            for i in range(start, min(tickets, start + CHUNK)):
                created = base + dt.timedelta(seconds=i * 30)
                status = rng.choices(("open", "snoozed", "closed"), (30, 10, 60))[0]
                rows.append(
                    {
                        "channel": rng.choice(("email", "sms", "webchat")),
                        "thread_key": f"t{i}",
                        "profile": rng.choice(profile_ids),
                        "status": status,
                        "assignee": None if rng.random() < 0.3 else rng.choice(agent_ids),
                        "subject": f"Question {i}",
                        "created_at": created,
                        "updated_at": created + dt.timedelta(minutes=rng.randint(0, 5000)),
                        "snoozed_until": base + dt.timedelta(days=400) if status == "snoozed" else None,
                        "closed_at": created if status == "closed" else None,
                        "closed_reason": "agent" if status == "closed" else None,
                        "last_message_preview": f"Hello, about order {i}",
                        "last_inbound_message_id": i + 1,
                    }
                )
            Ticket.insert_many(rows).execute()
        Tag.insert_many([{"name": n} for n in ("vip", "refund", "shipping")]).execute()
        tag_ids = [t.id for t in Tag.select(Tag.id)]
        ticket_ids = [t.id for t in Ticket.select(Ticket.id)]
        tagged = rng.sample(ticket_ids, len(ticket_ids) // 10)
        for start in range(0, len(tagged), CHUNK):
            TicketTag.insert_many(
                [{"ticket": tid, "tag": rng.choice(tag_ids)} for tid in tagged[start : start + CHUNK]]
            ).on_conflict_ignore().execute()
    me = Agent.get_by_id(agent_ids[0])
    view = create_view(me, "VIP open", {"status": ["open"], "tag": "vip"})
    _, token = create_token(me, "bench")
    db.execute_sql("ANALYZE")  # fresh statistics, as a live database would have
    return token, [
        ("mine", "view=mine"),
        ("unassigned", "view=unassigned"),
        ("all", "view=all"),
        ("all, created asc", "view=all&sort=created&order=asc"),
        ("all, text", "view=all&text=order%2012345"),
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
    parser.add_argument(
        "--updated-index",
        action="store_true",
        help="add an index on ticket(updated_at, id) first (not in the core migrations yet): "
        "shows what it does for views sorted by updated time without a status filter",
    )
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
        if args.updated_index:
            db.execute_sql("CREATE INDEX IF NOT EXISTS ticket_updated_at_id ON ticket (updated_at, id)")
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
