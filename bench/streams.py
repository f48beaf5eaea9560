"""Open agent and web chat visitor streams on ``helpline streams`` while a
gunicorn host answers other requests, on PostgreSQL + Redis.

    .venv/bin/python -m bench.streams --streams 2000 --notes 40
    .venv/bin/python -m bench.streams --streams 1500 --visitors 500 --notes 20 --replies 100

Starts a fresh database (demo data), ``helpline streams`` and one gunicorn
host (``app.wsgi:app -k gthread -w 2 --threads 8``); opens ``--streams``
agent event streams (one asyncio client, the owner's session cookie) on the
stream server; then, while they are open, (a) times ``GET /api/v1/tickets``
on the gunicorn host in a loop and (b) posts ``--notes`` internal notes
through the gunicorn host, one every half second, timing each from the POST
until every open stream has parsed its ``message.created`` event
(message-to-stream latency). With ``--visitors``, that many web chat
conversations (each with a first visitor message) keep their widget stream
open on the stream server too, and ``--replies`` agent replies go through
the gunicorn host to random conversations, each timed from the POST until
its visitor's stream has parsed it (message-to-screen). Prints the figures
recorded in docs/benchmarks.md. Bounded: every wait has a cap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

import aiohttp
import redis
import requests

from bench.scaleout import BIN, free_port, fresh_database, wait_for


def load():
    """The box's load average, printed with every figure (the box is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] * 1000 if values else float("nan")


class Streams:
    """``n`` open streams; ``arrivals[k]`` lists when each stream saw note ``k``."""

    def __init__(self, url, cookie, n):
        self.url, self.cookie, self.n = url, cookie, n
        self.open = 0
        self.failed = 0
        self.arrivals: dict = {}
        self.current = None  # the note in flight

    async def one(self, session, _index):
        try:
            async with session.get(self.url, headers={"Cookie": self.cookie}) as response:
                if response.status != 200:
                    self.failed += 1
                    return
                self.open += 1
                async for block in sse_blocks(response):
                    if block.startswith((b"event: message.created", b"event: bench.ping")) and self.current is not None:
                        self.arrivals.setdefault(self.current, []).append(time.perf_counter())
        except (TimeoutError, aiohttp.ClientError):
            self.failed += 1

    async def run(self, stop):
        await run_clients(self.n, self.one, stop)


class Visitors:
    """Open widget streams; ``arrivals[message id]`` is when its visitor parsed
    it. Runs in a process of its own (``--visitors``), so parsing thousands of
    agent streams in this one does not delay the visitors' clock readings;
    what it sees comes back through ``report``."""

    def __init__(self, base, chats, report=None):
        self.base, self.chats = base, chats  # chats: [(conversation id, token, ticket id)]
        self.n = len(chats)
        self.open = 0
        self.failed = 0
        self.arrivals: dict = {}
        self.report = report

    def note(self, kind, *values):
        if self.report is not None:
            self.report.put((kind, *values))
        elif kind == "arrival":
            self.arrivals.setdefault(values[0], values[1])
        else:
            setattr(self, kind, getattr(self, kind) + 1)

    async def one(self, session, index):
        cid, token, _ticket = self.chats[index]
        url = f"{self.base}/api/v1/webchat/conversations/{cid}/stream"
        try:
            async with session.get(url, params={"token": token}) as response:
                if response.status != 200:
                    self.note("failed")
                    return
                self.note("open")
                async for block in sse_blocks(response):
                    for line in block.split(b"\n"):
                        if line.startswith(b"id: "):  # only message events carry an id
                            # perf_counter is CLOCK_MONOTONIC: comparable across processes.
                            self.note("arrival", int(line[4:]), time.perf_counter())
        except (TimeoutError, aiohttp.ClientError):
            self.note("failed")

    async def run(self, stop):
        await run_clients(self.n, self.one, stop)

    def drain(self, stop):
        """In the bench process: apply what the visitors' process reports."""
        while not stop.is_set():
            try:
                kind, *values = self.report.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "arrival":
                self.arrivals.setdefault(values[0], values[1])
            else:
                setattr(self, kind, getattr(self, kind) + 1)


def visitors_process(base, chats, report, stop):
    """The visitors' clients, in their own process."""
    asyncio.run(Visitors(base, chats, report).run(stop))


async def sse_blocks(response):
    """The events of an SSE answer as raw blocks (the lines of one event),
    read in whatever chunks arrive: one wake-up per chunk rather than per line,
    so the bench's own clients (on the same cores as the server) stay cheap."""
    rest = b""
    async for chunk in response.content.iter_any():
        *blocks, rest = (rest + chunk).split(b"\n\n")
        for block in blocks:
            yield block


async def run_clients(n, one, stop):
    """``n`` concurrent ``one(session, index)`` until ``stop`` is set."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(one(session, i)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # ramp up: the server accepts in batches
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def make_chats(env, count):
    """``count`` web chat conversations, each with a first visitor message
    (so a ticket): ``[(conversation id, visitor token, ticket id)]``. Made
    through the plugin's services with the deployment's configuration (the
    widget API's per-IP start limit would refuse a bench's hundreds)."""
    from app import create_app
    from app.db import connection
    from plugins.webchat import conversations as convs

    config = {key[len("HELPLINE_") :]: value for key, value in env.items() if key.startswith("HELPLINE_")}
    app = create_app(config)
    chats = []
    with app.app_context(), connection():
        plugins = app.extensions["helpline.plugins"]
        plugins.set_settings("webchat", {**plugins.get_settings("webchat"), "auto_replies": False})
        key = convs.ensure_site_key()
        for n in range(count):
            conversation, token = convs.start(key, name=f"Visitor {n}")
            message, conversation = convs.post_message(conversation, "hello", f"Hello from visitor {n}")
            chats.append((conversation.public_id, token, message.ticket_id))
    return chats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--visitors", type=int, default=0, help="web chat widget streams, besides --streams")
    parser.add_argument("--replies", type=int, default=100, help="agent replies to random visitors (with --visitors)")
    parser.add_argument("--stream-processes", type=int, default=1, help="helpline streams --processes")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/helpline_bench_streams")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="helpline-streams-")
    # Its own Redis prefix per database, so two bench runs on one Redis stay apart.
    prefix = "helpline-bench-" + urlparse(args.database_url).path.strip("/")
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": args.database_url,
        "HELPLINE_HUEY_URL": args.redis_url,
        "HELPLINE_EVENTS_URL": args.redis_url,
        "HELPLINE_RATELIMIT_STORAGE_URI": args.redis_url,
        "HELPLINE_SECRET_KEY": "bench-streams-secret",
        "HELPLINE_LOG_LEVEL": "WARNING",
        "HELPLINE_REDIS_PREFIX": prefix,
    }
    fresh_database(args.database_url)
    helpline = os.path.join(BIN, "helpline")
    subprocess.run([helpline, "migrate"], env=env, cwd=work, check=True, capture_output=True)
    subprocess.run([helpline, "demo", "--tickets", "20"], env=env, cwd=work, check=True, capture_output=True)
    chats = make_chats(env, args.visitors) if args.visitors else []
    web_port, stream_port = free_port(), free_port()
    procs = [
        subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "--chdir", work, "app.wsgi:app", "-k", "gthread", "-w", "2"]
            + ["--threads", "8", "-b", f"127.0.0.1:{web_port}", "--log-level", "warning"],
            env=env,
            cwd=work,
        ),
        subprocess.Popen(
            [helpline, "streams", "--port", str(stream_port), "--processes", str(args.stream_processes)],
            env=env,
            cwd=work,
        ),
    ]
    web, streams_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{stream_port}"
    try:
        assert wait_for(lambda: requests.get(web + "/readyz").ok, timeout=60), "web host not ready"
        assert wait_for(lambda: requests.get(streams_url + "/healthz").ok, timeout=60), "stream server not ready"
        api = requests.Session()
        login = api.post(web + "/api/v1/session", json={"email": "owner@example.com", "password": "helpline-demo"})
        api.headers["X-CSRFToken"] = login.json()["csrf_token"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in api.cookies)
        ticket_id = api.get(web + "/api/v1/tickets", params={"view": "all"}).json()["items"][0]["id"]

        def list_latencies(seconds):
            found, end = [], time.monotonic() + seconds
            while time.monotonic() < end:
                t0 = time.perf_counter()
                assert api.get(web + "/api/v1/tickets", params={"view": "all", "limit": 25}).ok
                found.append(time.perf_counter() - t0)
            return found

        quiet = list_latencies(5)
        streams = Streams(streams_url + "/events/stream?types=message.created,bench.ping", cookie, args.streams)
        spawn = multiprocessing.get_context("spawn")
        visitors = Visitors(streams_url, chats, spawn.Queue())
        stop, stop_visitors = threading.Event(), spawn.Event()
        clients = []
        if streams.n:
            clients.append(threading.Thread(target=lambda: asyncio.run(streams.run(stop)), daemon=True))
        if visitors.n:
            clients.append(threading.Thread(target=visitors.drain, args=(stop,), daemon=True))
            clients.append(
                spawn.Process(target=visitors_process, args=(streams_url, chats, visitors.report, stop_visitors))
            )
        total = args.streams + len(chats)
        t_open = time.perf_counter()
        for client in clients:
            client.start()
        per_process = {}  # with --stream-processes, each /healthz answer is one process's count

        def server_side_open():
            health = requests.get(streams_url + "/healthz").json()
            per_process[health.get("process")] = health["streams"]
            return len(per_process) >= args.stream_processes and sum(per_process.values()) >= total

        opened = wait_for(
            lambda: (
                (streams.open + visitors.open + streams.failed + visitors.failed >= total and server_side_open())
                or None
            ),
            timeout=180,
            step=0.05,
        )
        open_seconds = time.perf_counter() - t_open
        print(
            f"streams open: {streams.open} agents of {args.streams} and {visitors.open} visitors of {len(chats)} "
            f"in {open_seconds:.1f} s (failed {streams.failed + visitors.failed}); {load()}"
        )
        if not opened:
            print("not every stream opened", file=sys.stderr)

        if args.streams:
            busy = []
            lister = threading.Thread(target=lambda: busy.extend(list_latencies(args.notes * 0.5 + 2)), daemon=True)
            lister.start()
            latencies, posts, complete = [], [], 0
            for k in range(args.notes):
                streams.current = k
                t0 = time.perf_counter()
                posted = api.post(f"{web}/api/v1/tickets/{ticket_id}/messages", json={"kind": "note", "text": f"n{k}"})
                assert posted.status_code == 201, posted.text
                posts.append(time.perf_counter() - t0)
                wait_for(lambda: len(streams.arrivals.get(k, ())) >= streams.open or None, timeout=10, step=0.01)
                got = streams.arrivals.get(k, [])
                complete += len(got) >= streams.open
                latencies.extend(t - t0 for t in got)
                time.sleep(max(0.0, 0.5 - (time.perf_counter() - t0)))
            lister.join()

            # The stream path alone: an event published on the bus (as a web host
            # does after commit) until every agent stream has parsed it.
            bus = redis.Redis.from_url(args.redis_url)
            pings = []
            for k in range(args.notes):
                streams.current = ("ping", k)
                t0 = time.perf_counter()
                bus.publish(f"{prefix}:events", json.dumps({"type": "bench.ping", "data": {"k": k}}))
                wait_for(
                    lambda: len(streams.arrivals.get(("ping", k), ())) >= streams.open or None, timeout=10, step=0.01
                )
                pings.extend(t - t0 for t in streams.arrivals.get(("ping", k), []))
                time.sleep(max(0.0, 0.2 - (time.perf_counter() - t0)))
            streams.current = None
            print(
                f"GET /api/v1/tickets on the web host, no streams: p50 {pct(quiet, 50):.1f} ms, "
                f"p95 {pct(quiet, 95):.1f} ms"
            )
            print(
                f"GET /api/v1/tickets with {total} streams open, notes fanning out: p50 {pct(busy, 50):.1f} ms, "
                f"p95 {pct(busy, 95):.1f} ms ({len(busy)} requests); {load()}"
            )
            print(
                f"POST note on the web host (request to response): p50 {pct(posts, 50):.1f} ms, "
                f"p95 {pct(posts, 95):.1f} ms"
            )
            print(
                f"note -> parsed by every agent stream: {complete}/{args.notes} notes reached all; "
                f"{len(latencies)} deliveries, p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms, "
                f"max {max(latencies, default=float('nan')) * 1000:.1f} ms; {load()}"
            )
            print(
                f"bus publish -> parsed by every agent stream: {len(pings)} deliveries, p50 {pct(pings, 50):.1f} ms, "
                f"p95 {pct(pings, 95):.1f} ms, max {max(pings, default=float('nan')) * 1000:.1f} ms"
            )

        if chats:
            # Agent replies to random open chats through the web host, each
            # timed until its visitor's widget stream has parsed it.
            busy, seconds = [], args.replies * 0.3 + 2
            lister = threading.Thread(target=lambda: busy.extend(list_latencies(seconds)), daemon=True)
            lister.start()
            screen, posts, after_answer = [], [], []
            for k in range(args.replies):
                _cid, _token, chat_ticket = random.choice(chats)
                t0 = time.perf_counter()
                posted = api.post(
                    f"{web}/api/v1/tickets/{chat_ticket}/messages", json={"kind": "reply", "text": f"r{k}"}
                )
                assert posted.status_code == 201, posted.text
                posts.append(time.perf_counter() - t0)
                mid = posted.json()["id"]
                arrived = wait_for(lambda: visitors.arrivals.get(mid), timeout=10, step=0.002)
                if arrived:
                    screen.append(arrived - t0)
                    # The stream path's own share: the event is published at
                    # commit, before the answer, so this may be 0.
                    after_answer.append(max(0.0, arrived - t0 - posts[-1]))
                time.sleep(max(0.0, 0.3 - (time.perf_counter() - t0)))
            lister.join()
            if not args.streams:
                print(
                    f"GET /api/v1/tickets on the web host, no streams: p50 {pct(quiet, 50):.1f} ms, "
                    f"p95 {pct(quiet, 95):.1f} ms"
                )
            print(
                f"GET /api/v1/tickets with {total} streams open, replies going out: p50 {pct(busy, 50):.1f} ms, "
                f"p95 {pct(busy, 95):.1f} ms ({len(busy)} requests); {load()}"
            )
            print(
                f"POST reply on the web host (request to response): p50 {pct(posts, 50):.1f} ms, "
                f"p95 {pct(posts, 95):.1f} ms"
            )
            print(
                f"reply POST -> parsed by the visitor's widget stream: {len(screen)}/{args.replies} delivered, "
                f"p50 {pct(screen, 50):.1f} ms, p95 {pct(screen, 95):.1f} ms, "
                f"max {max(screen, default=float('nan')) * 1000:.1f} ms; {load()}"
            )
            print(
                f"reply POST answered -> parsed by the visitor's widget stream: p50 {pct(after_answer, 50):.1f} ms, "
                f"p95 {pct(after_answer, 95):.1f} ms"
            )
        stop_visitors.set()
        stop.set()
        for client in clients:
            client.join(30)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
