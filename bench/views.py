"""View queries at scale through the service layer: the first page of My
inbox, Unassigned and All (with filters), a deep keyset page, and the counts
and unread badge, over N tickets (default 100k).

    python bench/views.py --tickets 100000 [--database-url postgresql://...]
"""

import datetime as dt
import logging
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from bench.common import make_app, parser, timed


def populate(n, agents, rng):
    """Set-based inserts in chunks: profiles, tickets, tags, one message each."""
    from peewee import chunked

    from app.db import db
    from app.models import Profile, Tag, Ticket, TicketTag

    base = dt.datetime(2026, 1, 1)
    profiles = [{"name": f"Customer {i}", "email": f"c{i}@example.net"} for i in range(n // 3)]
    with db.atomic():
        for batch in chunked(profiles, 1000):
            Profile.insert_many(batch).execute()
    tag_ids = [Tag.create(name=name).id for name in ("vip", "refund", "shipping", "wholesale")]
    rows = []
    for i in range(n):
        status = rng.choices(["open", "snoozed", "closed"], [30, 5, 65])[0]
        assignee = rng.choice(agents + [None] * 3)
        at = base + dt.timedelta(seconds=i * 30)
        rows.append(
            {
                "channel": rng.choice(["email", "sms", "webchat"]),
                "thread_key": f"k{i}",
                "profile": 1 + i % (n // 3),
                "status": status,
                "assignee": assignee,
                "subject": f"Order question {i}",
                "created_at": at,
                "updated_at": at,
                "last_message_preview": f"Where is order {i}?",
                "last_inbound_message_id": i + 1,
                "closed_reason": "agent" if status == "closed" else None,
            }
        )
    with db.atomic():
        for batch in chunked(rows, 500):
            Ticket.insert_many(batch).execute()
    links = [{"ticket": t, "tag": rng.choice(tag_ids)} for t in range(1, n + 1) if t % 10 == 0]
    with db.atomic():
        for batch in chunked(links, 500):
            TicketTag.insert_many(batch).execute()
    db.execute_sql("ANALYZE")


def main():
    p = parser(__doc__)
    p.add_argument("--tickets", type=int, default=100_000)
    args = p.parse_args()
    logging.disable(logging.INFO)
    app, url = make_app(args.database_url)
    rng = random.Random(1)
    from app.services import views
    from app.testing import factories

    with app.app_context():
        agents = [factories.agent() for _ in range(20)]
        start = time.perf_counter()
        populate(args.tickets, [a.id for a in agents], rng)
        fill = time.perf_counter() - start
        me = agents[0]
        _, cursor = views.list_tickets(me, "all", limit=25)
        for _ in range(200):  # walk 200 pages deep for the deep-page case
            _, cursor = views.list_tickets(me, "all", limit=25, cursor=cursor)
        cases = [
            ("My inbox, first page", lambda: views.list_tickets(me, "mine")),
            ("Unassigned, first page", lambda: views.list_tickets(me, "unassigned")),
            ("All, first page", lambda: views.list_tickets(me, "all")),
            ("All, page 201 (keyset)", lambda: views.list_tickets(me, "all", cursor=cursor)),
            ("All + status=closed", lambda: views.list_tickets(me, "all", {"status": ["closed"]})),
            ("All + tag=vip", lambda: views.list_tickets(me, "all", {"tag": "vip"})),
            ("All + text search", lambda: views.list_tickets(me, "all", {"text": "order 4242"})),
            ("count My inbox", lambda: views.count(me, "mine")),
            ("count Unassigned", lambda: views.count(me, "unassigned")),
            ("unread badge (mine)", lambda: views.unread_count(me, "mine")),
        ]
        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        print(f"backend={backend} tickets={args.tickets} (filled in {fill:.1f} s)")
        for name, fn in cases:
            median, best = timed(fn)
            print(f"{name:<26} median {median:7.2f} ms   best {best:7.2f} ms")


if __name__ == "__main__":
    main()
