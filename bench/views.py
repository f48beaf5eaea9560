"""View queries at scale through the service layer: the first page of My
inbox, Unassigned and All (with filters), a deep keyset page, and the counts
and unread badge, over N tickets (default 100k) built by ``bench/seed.py``.

    python bench/views.py --tickets 100000 [--database-url postgresql://...]
"""

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

from bench.common import make_app, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--tickets", type=int, default=100_000)
    args = p.parse_args()
    logging.disable(logging.INFO)
    app, url = make_app(args.database_url)
    from app.models import Agent
    from app.services import views
    from bench.seed import seed

    with app.app_context():
        fill = seed(args.tickets)
        me = Agent.select().order_by(Agent.id).get()
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
            ("All + text search", lambda: views.list_tickets(me, "all", {"text": "refund"})),
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
