"""Full-text search per term on a seeded database: wall time p50/p95, the
Python process's CPU and, on PostgreSQL, the server backend's CPU per search
(utime + stime from ``/proc``, so the database server must run on this
machine), for ``views.list_tickets(agent, "all", {"text": term})`` (the
API's ``GET /api/v1/tickets?view=all&q=...`` without HTTP and
serialization). Terms are grouped in bands by how many rows of each table
they find, so a change can be judged band by band.

    python bench/seed.py 1000000 --database-url postgresql://...   # once
    python bench/search_terms.py --database-url postgresql://... [--requests 20] [--band mid]
    python bench/search_terms.py --database-url sqlite:////tmp/seeded.sqlite3

``--digest`` prints, per term, a hash of the page's ticket ids and scores,
to check that a change returns the same results as before. Run the script of
each version being compared side by side, alternating (the box's speed moves
between minutes).
"""

from __future__ import annotations

import hashlib
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Shares on bench/seed.py's data set (its 81 words repeat with period 81):
# a word is in 2.5-5 % of messages and 1.2 or 2.5 % of subjects ("order" in
# every message); a pair of words that meet is in 1.2 % of messages, or none;
# an order number in a ticket's 5 messages, an e-mail address in a customer.
BANDS = {
    "common": ["refund", "delivery", "envíos", "order"],
    "mid": ["late payment", "cancel entrega", "exchange replacement", "invoice stock", "gift warranty"],
    "none": ["late delivery", "refund card", "broken package", "wrong size"],
    "rare": ["424242", "c4242@example.net"],
}


def _backend_cpu(pid):
    """The server backend's utime + stime in ms (clock ticks of 10 ms)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main():
    from bench.common import parser

    p = parser(__doc__)
    p.add_argument("--requests", type=int, default=20)
    p.add_argument("--band", action="append", default=[], help="only these bands (repeatable)")
    p.add_argument("--term", action="append", default=[], help="only these terms (repeatable)")
    p.add_argument("--digest", action="store_true", help="print a hash of each term's page")
    args = p.parse_args()
    logging.disable(logging.INFO)
    from app import create_app

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    from app.db import connection, db, is_postgres
    from app.models import Agent
    from app.services import views

    with app.app_context(), connection():
        agent = Agent.get_by_id(2)
        backend = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0] if is_postgres() else None
        for band, terms in BANDS.items():
            if args.band and band not in args.band:
                continue
            for term in terms:
                if args.term and term not in args.term:
                    continue
                rows, _ = views.list_tickets(agent, "all", {"text": term})  # warm-up
                walls, cpus, server = [], [], []
                for _ in range(args.requests):
                    wall, cpu = time.perf_counter(), time.process_time()
                    before = _backend_cpu(backend) if backend else 0
                    rows, _ = views.list_tickets(agent, "all", {"text": term})
                    server.append((_backend_cpu(backend) if backend else 0) - before)
                    cpus.append((time.process_time() - cpu) * 1000)
                    walls.append((time.perf_counter() - wall) * 1000)
                walls.sort()
                line = (
                    f"{band:6} {term:20} p50 {statistics.median(walls):7.1f} ms  "
                    f"p95 {walls[max(0, int(len(walls) * 0.95) - 1)]:7.1f} ms  "
                    f"CPU {statistics.mean(cpus):6.1f} ms"
                )
                if backend:
                    line += f"  server CPU {statistics.mean(server):6.1f} ms"
                if args.digest:
                    page = ",".join(f"{t.id}:{t.search_score:.6f}" for t in rows)
                    line += f"  page {hashlib.sha1(page.encode()).hexdigest()[:10]} ({len(rows)})"
                print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
