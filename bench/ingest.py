"""Ingest throughput through the service layer (no HTTP): new tickets and
appends, single-threaded and with concurrent writers.

    python bench/ingest.py --messages 5000 [--threads 4] [--database-url postgresql://...]
"""

import logging
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

from bench.common import make_app, parser


def main():
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--threads", type=int, default=4)
    args = p.parse_args()
    logging.disable(logging.INFO)
    app, url = make_app(args.database_url)
    from app.db import db
    from app.testing import FakeChannelPlugin

    with app.app_context():
        channel = FakeChannelPlugin("bench")
        app.extensions["helpline.plugins"].register(channel, "bench")
        n = args.messages
        # 1 in 4 messages starts a new ticket (a new sender), the rest append.
        start = time.perf_counter()
        for i in range(n):
            channel.receive(f"message {i}", email=f"c{i // 4}@example.net", external_id=f"m{i}")
        single = n / (time.perf_counter() - start)

        per_thread = n // args.threads

        def worker(t):
            with app.app_context():
                for i in range(per_thread):
                    channel.receive(f"message {i}", email=f"t{t}-{i // 4}@example.net", external_id=f"t{t}-{i}")
                db.close()

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(args.threads)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent = per_thread * args.threads / (time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(1000):
            channel.receive("again", email=f"c{i // 4}@example.net", external_id=f"m{i}")
        duplicates = 1000 / (time.perf_counter() - start)
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"backend={backend} messages={n}")
    print(f"ingest, 1 thread:            {single:8.0f} messages/s")
    print(f"ingest, {args.threads} threads:           {concurrent:8.0f} messages/s")
    print(f"duplicate re-delivery:       {duplicates:8.0f} messages/s")


if __name__ == "__main__":
    main()
