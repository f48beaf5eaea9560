"""What the tag rows' copies of their ticket's columns (migration 0020) cost
ticket updates: set-based ``UPDATE``s of 10,000 tickets (one in ten tagged,
as ``bench/seed.py`` tags them) of ``updated_at`` alone (what a new message
or a reply does) and of ``status`` with ``updated_at`` (what the auto-close
sweep does), with the copy triggers and without them (dropped inside the
same transaction), interleaved, each rolled back. Then the same for
single-ticket updates (one statement per ticket, as the services write).

    python bench/tag_copy_cost.py --database-url sqlite:////path/seeded.sqlite3 [--rounds 5]

Wall time of the statements (on PostgreSQL the triggers run in the server).

``--compare indexes`` compares with and without migration 0021's two indexes
instead (``ticket_tag_status_list`` on the tag rows,
``ticket_updated_day_created_at_id`` on the tickets; dropped the same way):
what one more index entry per tagged ticket's update, and per ticket update,
costs.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SQLITE_TRIGGERS = ("ticket_tag_copy_ai", "ticket_tag_copy_au", "ticket_tag_copy_ticket_au")
INDEXES_0021 = ("ticket_tag_status_list", "ticket_updated_day_created_at_id")


def _drop_copy_triggers(db, postgres):
    if postgres:
        db.execute_sql("DROP TRIGGER ticket_tag_copy ON ticket_tag")
        db.execute_sql("DROP TRIGGER ticket_tag_copy_ticket ON ticket")
    else:
        for name in SQLITE_TRIGGERS:
            db.execute_sql(f"DROP TRIGGER {name}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tickets", type=int, default=10_000)
    p.add_argument("--single", type=int, default=1_000, help="tickets updated one statement each")
    p.add_argument(
        "--compare",
        choices=("copies", "indexes"),
        default="copies",
        help="with and without: the copy triggers (0020), or the list indexes of 0021",
    )
    args = p.parse_args()
    logging.disable(logging.INFO)
    from app import create_app
    from app.db import connection, db, is_postgres

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    with app.app_context(), connection():
        postgres = is_postgres()
        first = db.execute_sql("SELECT MIN(id) FROM ticket").fetchone()[0] + 1000
        stamp = "2027-01-01 00:00:00"
        bulk = {
            "updated_at": f"UPDATE ticket SET updated_at = '{stamp}' WHERE id BETWEEN {first} AND {first + args.tickets - 1}",
            "status + updated_at": (
                f"UPDATE ticket SET status = CASE status WHEN 'closed' THEN 'open' ELSE 'closed' END, "
                f"updated_at = '{stamp}' WHERE id BETWEEN {first} AND {first + args.tickets - 1}"
            ),
        }
        single = f"UPDATE ticket SET updated_at = '{stamp}' WHERE id = {db.param}"
        results = {}
        if args.compare == "copies":

            def drop():
                _drop_copy_triggers(db, postgres)

        else:

            def drop():
                for name in INDEXES_0021:
                    db.execute_sql(f'DROP INDEX "{name}"')

        for _ in range(args.rounds):
            for copies in (True, False):
                for name, sql in bulk.items():
                    with db.atomic() as tx:
                        if not copies:
                            drop()
                        start = time.perf_counter()
                        db.execute_sql(sql)
                        results.setdefault((name, copies), []).append(time.perf_counter() - start)
                        tx.rollback()
                with db.atomic() as tx:
                    if not copies:
                        drop()
                    start = time.perf_counter()
                    for i in range(args.single):
                        db.execute_sql(single, (first + i * 7,))
                    results.setdefault(("single updated_at", copies), []).append(time.perf_counter() - start)
                    tx.rollback()
        for (name, copies), samples in results.items():
            per = args.single if name.startswith("single") else args.tickets
            median = statistics.median(samples)
            print(
                f"{name:22} {'with' if copies else 'without':7} {args.compare}: median {median * 1000:8.1f} ms "
                f"({median / per * 1e6:6.1f} us per ticket), best {min(samples) * 1000:8.1f} ms"
            )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
