"""Service-level timings of chosen view queries and of the navigation's
counts on an already seeded database (``bench/seed.py``): CPU time of
``app.services.views.list_tickets`` / ``nav_data``, best and median of
``--repeat`` runs, without HTTP. For before/after comparisons of one query.

    python bench/view_calls.py --database-url sqlite:////path/seeded.sqlite3
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CALLS = {
    "All": {},
    "All + created range, sorted by update": {
        "created_after": "2026-03-01T00:00:00",
        "created_before": "2026-03-08T00:00:00",
    },
    "All + created range (a January week)": {
        "created_after": "2026-01-10T00:00:00",
        "created_before": "2026-01-17T00:00:00",
    },
    "All + created range (a month)": {
        "created_after": "2026-03-01T00:00:00",
        "created_before": "2026-04-01T00:00:00",
    },
    # Open on one side or longer than a month: walked by day on the days that hold the page.
    "All + created before Feb 1 (open side)": {"created_before": "2026-02-01T00:00:00"},
    "All + created after Jan 10 (open side)": {"created_after": "2026-01-10T00:00:00"},
    "All + created Jan-Feb (59 days)": {
        "created_after": "2026-01-01T00:00:00",
        "created_before": "2026-03-01T00:00:00",
    },
    "open + email + tag refund + me": {"status": ["open"], "channel": ["email"], "tag": "refund", "assignee": "me"},
    "open + email + tag vip + me": {"status": ["open"], "channel": ["email"], "tag": "vip", "assignee": "me"},
    # bench/seed.py plus the tag "pinned" on the agent's 30 oldest open sms tickets (docs/benchmarks.md,
    # "Tagged lists walked on the tag's rows"): few matches, at the end of the agent's walk.
    "open + sms + tag pinned + me": {"status": ["open"], "channel": ["sms"], "tag": "pinned", "assignee": "me"},
    "open + tag vip + me": {"status": ["open"], "tag": "vip", "assignee": "me"},
    "open + tag vip + unassigned": {"status": ["open"], "tag": "vip", "assignee": "none"},
    "All + tag vip": {"tag": "vip"},
    # A tag with statuses and no assignee (pinned as above: 30 open tickets).
    "open + tag vip": {"status": ["open"], "tag": "vip"},
    "open + tag pinned (few)": {"status": ["open"], "tag": "pinned"},
    "All + tag pinned (few)": {"tag": "pinned"},
    # An updated range sorted by creation.
    "Updated range by creation (a March week)": {
        "sort": "created",
        "updated_after": "2026-03-01T00:00:00",
        "updated_before": "2026-03-08T00:00:00",
    },
    "Updated range by creation (a January week)": {
        "sort": "created",
        "updated_after": "2026-01-10T00:00:00",
        "updated_before": "2026-01-17T00:00:00",
    },
    "Updated before Feb 1 by creation (open side)": {"sort": "created", "updated_before": "2026-02-01T00:00:00"},
    "Updated after Jan 10 by creation (open side)": {"sort": "created", "updated_after": "2026-01-10T00:00:00"},
    "Updated Jan-Feb by creation (59 days)": {
        "sort": "created",
        "updated_after": "2026-01-01T00:00:00",
        "updated_before": "2026-03-01T00:00:00",
    },
}


def cpu_ms(fn, repeat):
    samples = []
    for _ in range(repeat):
        start = time.thread_time()
        fn()
        samples.append((time.thread_time() - start) * 1000)
    return min(samples), statistics.median(samples)


def main():
    import datetime as dt

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument(
        "--only", action="append", default=[], help="run only the calls whose name contains this (repeatable)"
    )
    args = p.parse_args()
    logging.disable(logging.INFO)
    from app import create_app
    from app.db import connection
    from app.models import Agent
    from app.services import views
    from app.web.nav import nav_data

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    with app.test_request_context("/"), connection():
        # The seed's first agent (this read ``.offset(1).get()``, which peewee
        # pages from the first row: the figures until 2026-12-03, night, are
        # of the first agent too).
        agent = Agent.select().order_by(Agent.id).first()
        for name, filters in CALLS.items():
            if args.only and not any(part.lower() in name.lower() for part in args.only):
                continue
            filters = dict(filters)
            sort = filters.pop("sort", None)
            filters = {
                k: dt.datetime.fromisoformat(v) if k.endswith(("_after", "_before")) else v for k, v in filters.items()
            }

            def call():
                return views.list_tickets(agent, "all", filters, sort=sort)

            call()  # warm the cache
            best, median = cpu_ms(call, args.repeat)
            print(f"{name:44} best {best:8.1f} ms CPU, median {median:8.1f}")
        nav_data(agent)
        best, median = cpu_ms(lambda: nav_data(agent), args.repeat)
        print(f"{'navigation counts':44} best {best:8.1f} ms CPU, median {median:8.1f}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
