"""Views, filters and full-text search at scale, per API request: server
wall time (p50/p95) and server CPU time (mean) of ``GET /api/v1/tickets``
through the real app (Flask test client in-process: routing, auth, query,
serialization; no network), on a database built by ``bench/seed.py``.

    python bench/at_scale.py --tickets 1000000 [--database-url postgresql://...]
    python bench/at_scale.py --reuse --database-url sqlite:////tmp/seeded.sqlite3

``--reuse`` runs on an already seeded database (``bench/seed.py``'s output)
instead of wiping and seeding one. Each case runs ``--requests`` times
(default 40) after one warm-up; searches rotate through several terms.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SEARCHES = {
    "search: one common word": ["refund", "delivery", "warranty", "courier", "invoice"],
    "search: two words": ["broken package", "late delivery", "wrong size", "refund card", "missing item"],
    "search: Spanish": ["envíos", "reembolso", "pedidos", "devolución", "factura"],
    "search: rare (order number)": ["424242", "77777", "131313", "999001", "5150"],
    "search: customer email": ["c4242@example.net", "c1717@example.net", "c99@example.net"],
}


def cases(agent_id):
    """``[(name, [query strings])]``; several queries rotate within a case."""
    out = [
        ("My inbox", ["view=mine"]),
        ("Unassigned", ["view=unassigned"]),
        ("All", ["view=all"]),
        ("All + status closed", ["view=all&status=closed"]),
        ("All + tag vip", ["view=all&tag=vip"]),
        ("All + channel sms", ["view=all&channel=sms"]),
        ("All + assignee", [f"view=all&assignee={agent_id + 1}"]),
        ("All + created range", ["view=all&created_after=2026-03-01T00:00:00Z&created_before=2026-03-08T00:00:00Z"]),
        # A week the 100k data set also holds (20,160 tickets in both): same work at both sizes.
        (
            "All + created range (a January week)",
            ["view=all&created_after=2026-01-10T00:00:00Z&created_before=2026-01-17T00:00:00Z"],
        ),
        (
            "All + created range (a month)",
            ["view=all&created_after=2026-03-01T00:00:00Z&created_before=2026-04-01T00:00:00Z"],
        ),
        # Open on one side (the same 31 days at both sizes; 338 days at 1M, 25 at 100k) and two months.
        ("All + created before Feb 1 (open side)", ["view=all&created_before=2026-02-01T00:00:00Z"]),
        ("All + created after Jan 10 (open side)", ["view=all&created_after=2026-01-10T00:00:00Z"]),
        (
            "All + created Jan-Feb (59 days)",
            ["view=all&created_after=2026-01-01T00:00:00Z&created_before=2026-03-01T00:00:00Z"],
        ),
        ("Combined (open, email, refund tag, assignee)", ["view=all&status=open&channel=email&tag=refund&assignee=me"]),
        # vip is on open tickets, but on none of this agent's email ones: the list walks them all to find none.
        ("Combined (open, email, vip tag, assignee)", ["view=all&status=open&channel=email&tag=vip&assignee=me"]),
        ("Combined (open, vip tag, assignee)", ["view=all&status=open&tag=vip&assignee=me"]),
        # Only with the tag "pinned" added to the agent's 30 oldest open sms tickets (docs/benchmarks.md,
        # "Tagged lists walked on the tag's rows"): few matches, found at the end of the agent's tickets.
        ("Combined (open, sms, pinned tag, assignee)", ["view=all&status=open&channel=sms&tag=pinned&assignee=me"]),
        # A tag with statuses and no assignee: vip is on many open tickets, pinned (as above) on 30 of them, the
        # oldest of the agent's open sms ones; without a status every ticket of the table is a candidate.
        ("All + open + tag vip", ["view=all&status=open&tag=vip"]),
        ("All + open + tag pinned (few)", ["view=all&status=open&tag=pinned"]),
        ("All + tag pinned (few)", ["view=all&tag=pinned"]),
        # An updated range sorted by creation (the seed updates a ticket within hours of its creation).
        (
            "Updated range by creation (a March week)",
            ["view=all&sort=created&updated_after=2026-03-01T00:00:00Z&updated_before=2026-03-08T00:00:00Z"],
        ),
        (
            "Updated range by creation (a January week)",
            ["view=all&sort=created&updated_after=2026-01-10T00:00:00Z&updated_before=2026-01-17T00:00:00Z"],
        ),
        (
            "Updated range by creation (a month)",
            ["view=all&sort=created&updated_after=2026-03-01T00:00:00Z&updated_before=2026-04-01T00:00:00Z"],
        ),
        ("Updated before Feb 1 by creation (open side)", ["view=all&sort=created&updated_before=2026-02-01T00:00:00Z"]),
        ("Updated after Jan 10 by creation (open side)", ["view=all&sort=created&updated_after=2026-01-10T00:00:00Z"]),
        (
            "Updated Jan-Feb by creation (59 days)",
            ["view=all&sort=created&updated_after=2026-01-01T00:00:00Z&updated_before=2026-03-01T00:00:00Z"],
        ),
    ]
    for name, terms in SEARCHES.items():
        out.append((name, [f"view=all&q={t}" for t in terms]))
    out.append(("search + open + assignee", [f"view=all&status=open&assignee={agent_id + 1}&q=refund"]))
    return out


def measure(client, headers, queries, requests):
    walls, cpus = [], []
    for q in queries:
        client.get("/api/v1/tickets?limit=25&" + q, headers=headers)  # warm-up
    for i in range(requests):
        q = queries[i % len(queries)]
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.get("/api/v1/tickets?limit=25&" + q, headers=headers)
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    walls.sort()
    return statistics.median(walls), walls[max(0, int(len(walls) * 0.95) - 1)], statistics.mean(cpus)


def nav_counts(app, agent, requests):
    """The navigation's counts (views, saved views, unread) as the nav
    endpoint computes them, timed like the list requests."""
    from playhouse.test_utils import count_queries

    from app.web.nav import nav_data

    walls = []
    with app.test_request_context("/"):
        nav_data(agent)  # plugin state and settings read once, then cached
        logging.disable(logging.NOTSET)  # count_queries reads peewee's debug log
        logging.getLogger("peewee").propagate = False
        with count_queries() as counted:
            nav_data(agent)
        logging.disable(logging.INFO)
        for _ in range(requests):
            start = time.perf_counter()
            nav_data(agent)
            walls.append((time.perf_counter() - start) * 1000)
    walls.sort()
    return statistics.median(walls), walls[max(0, int(len(walls) * 0.95) - 1)], counted.count


def main():
    from bench.common import make_app, parser

    p = parser(__doc__)
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=40)
    p.add_argument("--reuse", action="store_true", help="the database is already seeded: do not wipe it")
    p.add_argument(
        "--only", action="append", default=[], help="run only the cases whose name contains this (repeatable)"
    )
    p.add_argument("--no-nav", action="store_true", help="skip the navigation counts")
    args = p.parse_args()
    logging.disable(logging.INFO)
    if args.reuse:
        from app import create_app

        app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    else:
        app, _url = make_app(args.database_url)
    from app.auth import create_token
    from app.db import connection
    from app.models import Agent, SavedView, Ticket
    from app.services.views import create_view

    with app.app_context(), connection():
        if not args.reuse:
            from bench.seed import seed

            print(f"seeded in {seed(args.tickets):.1f} s")
        # The seed's first agent, which holds open tickets in every version of
        # its data. (This read ``.offset(1).get()`` and meant the second, but
        # peewee's get() pages from the first row: every figure in
        # docs/benchmarks.md until 2026-12-03, night, is of the first agent.)
        agent = Agent.select().order_by(Agent.id).first()
        if not SavedView.select().where((SavedView.owner == agent.id) & (SavedView.name == "VIP open")).exists():
            create_view(agent, "VIP open", {"status": ["open"], "tag": "vip"})
        _row, token = create_token(agent, "bench")
        total = Ticket.select().count()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    print(f"{total} tickets; {args.requests} requests per case, limit=25")
    print(f"{'case':46} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8}")
    for name, queries in cases(agent.id):
        if args.only and not any(part.lower() in name.lower() for part in args.only):
            continue
        p50, p95, cpu = measure(client, headers, queries, args.requests)
        print(f"{name:46} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f}")
    if not args.no_nav:
        with app.app_context(), connection():
            p50, p95, queries = nav_counts(app, agent, args.requests)
        print(f"{'navigation counts (' + str(queries) + ' queries)':46} {p50:>8.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
