"""How many concurrent widget streams one box holds, and message-to-screen
latency (agent reply committed -> event parsed by the visitor's SSE client).

Everything runs on 127.0.0.1: a threaded werkzeug server (one thread per
stream, like gunicorn's gthread worker) on an ephemeral port, visitors
each holding an open stream (ramped up: 100, then 250, ... open at once),
and at each step replies to random conversations timed until their
visitor's stream delivers them. Bounded: every loop has a cap.

    python bench/webchat_streams.py --streams 100 250 500 --replies 50
    HELPLINE_DATABASE_URL=postgresql://... HELPLINE_EVENTS_URL=redis://... python bench/webchat_streams.py

Results and the settings used are in docs/benchmarks.md.
"""

import argparse
import http.client
import json
import logging
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.testing.browser import LiveServer

MAX_STREAMS = 2000
BATCH = 10


class Stream(threading.Thread):
    """One visitor's EventSource, recording when each message id arrived."""

    def __init__(self, port, cid, token):
        super().__init__(daemon=True)
        self.port, self.cid, self.token = port, cid, token
        self.arrivals = {}
        self.ready = threading.Event()
        self.stop = False
        self.error = None
        self.sock = None

    def close(self):
        """Hang up (the server notices at its next keepalive)."""
        self.stop = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            conn.request("GET", f"/api/v1/webchat/conversations/{self.cid}/stream?token={self.token}")
            response = conn.getresponse()
            self.sock = conn.sock
            if response.status != 200:
                raise RuntimeError(f"stream answered {response.status}")
            event = None
            while not self.stop:
                line = response.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line.startswith("retry:"):
                    self.ready.set()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "message":
                    data = json.loads(line[5:])
                    self.arrivals[data["id"]] = time.perf_counter()
            response.close()
            conn.close()
        except Exception as exc:  # reported by the main thread
            self.error = exc
            self.ready.set()


def build_app(tmp):
    from app import create_app
    from app.db import connection

    config = {
        "SECRET_KEY": "bench",
        "HUEY_IMMEDIATE": True,
        "RATELIMIT_ENABLED": False,
        "DATABASE_URL": os.environ.get("HELPLINE_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3",
        "EVENTS_URL": os.environ.get("HELPLINE_EVENTS_URL"),
        "LOG_LEVEL": "WARNING",
        "WEBCHAT_KEEPALIVE_SECONDS": 10,
        "WEBCHAT_STREAM_SECONDS": 600,
    }
    app = create_app(config)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would dominate
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].migrate()
    return app


def open_streams(port, count, clients):
    """Add visitors (conversation + first message + open stream) until
    ``count`` streams are open; returns the seconds it took."""
    from plugins.webchat import conversations as convs

    key = convs.ensure_site_key()
    fresh = []
    for n in range(len(clients), count):
        conversation, token = convs.start(key, name=f"Visitor {n}")
        message, conversation = convs.post_message(conversation, "hello", f"Hello from visitor {n}")
        stream = Stream(port, conversation.public_id, token)
        stream.ticket_id = message.ticket_id
        fresh.append(stream)
    # Visitors arrive in small batches (a stampede of hundreds of connects
    # at once measures the database's connection limit, not the streams).
    started = time.perf_counter()
    for index in range(0, len(fresh), BATCH):
        for stream in fresh[index : index + BATCH]:
            stream.start()
        for stream in fresh[index : index + BATCH]:
            stream.ready.wait(60)
    clients.extend(fresh)
    return time.perf_counter() - started


def measure(clients, replies, agent):
    """Reply to random open conversations; milliseconds until the visitor's
    stream parsed each reply."""
    from app.models import Ticket
    from app.services.messages import reply

    latencies = []
    for _ in range(min(replies, 10_000)):
        client = random.choice(clients)
        sent = time.perf_counter()
        message = reply(Ticket.get_by_id(client.ticket_id), agent, "An answer")
        deadline = sent + 10
        while message.id not in client.arrivals and time.perf_counter() < deadline:
            time.sleep(0.0005)
        if message.id in client.arrivals:
            latencies.append((client.arrivals[message.id] - sent) * 1000)
    return latencies


def run_step(app, port, streams, replies, agent, clients):
    opened = open_streams(port, streams, clients)
    errors = sum(1 for c in clients if c.error)
    latencies = measure([c for c in clients if not c.error], replies, agent)
    return {
        "streams": streams,
        "open": len(clients) - errors,
        "errors": errors,
        "open_seconds": round(opened, 2),
        "replies": replies,
        "delivered": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1], 1) if len(latencies) >= 20 else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "threads": threading.active_count(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 250, 500])
    parser.add_argument("--replies", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(tmp)
        server = LiveServer(app)
        from app.db import connection
        from app.services.agents import create_agent

        with app.app_context(), connection():
            agent = create_agent(f"bench{random.randint(0, 10**9)}@example.com", "Bench Agent", "support", "x" * 12)
            clients = []  # the ramp keeps earlier streams open
            for streams in sorted(args.streams):
                result = run_step(
                    app, server.server.server_port, min(streams, MAX_STREAMS), args.replies, agent, clients
                )
                print(json.dumps(result), flush=True)
            for client in clients:
                client.close()
            # Let every stream notice the hang-up and record it before the
            # database goes away (bounded).
            fanout = app.extensions.get("webchat.fanout")
            deadline = time.monotonic() + 60
            while fanout is not None and fanout.listener_count and time.monotonic() < deadline:
                time.sleep(0.2)
        server.close()


if __name__ == "__main__":
    main()
