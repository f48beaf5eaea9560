"""Inbound messages per second over HTTP (issue 16): signed Twilio SMS
webhooks and signed raw-MIME email webhooks, new senders and replies mixed,
posted by client threads to gunicorn (gthread) for a fixed duration, or to
granian (``--server granian``) with the same processes and threads.

    python bench/inbound_http.py [--duration 20] [--clients 8] [--workers 2] [--threads 8]
    python bench/inbound_http.py --server granian [--server-args '--runtime-threads 2']
    python bench/inbound_http.py --database-url postgresql://postgres@127.0.0.1:5432/helpline_bench \\
        --redis-url redis://127.0.0.1:6379/14

SQLite (a scratch file, SqliteHuey beside it, in-process events) unless
``--database-url`` names PostgreSQL (the database is reset), which then uses
Redis for the task queue, live events and rate limits. Reports the accepted
messages per second after a warm-up, the acceptance latency (request sent to
answer read) p50/p95/p99, the server's CPU per message (utime + stime of the
server's processes, from /proc) and the client's. Then checks what a 2xx
promised: every accepted message is visible through the REST API (its unique
token found in a ticket's thread), and a replayed batch of accepted requests
answers 2xx again and creates no ticket and no message.
"""

import argparse
import collections
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import quote, urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "bench-auth-token"
PUBLIC_URL = "https://help.example.com"
SMS_PATH = "/sms/twilio/inbound"
EMAIL_PATH = "/email/inbound"
SUPPORT = "support@shop.example"
EMAIL_SECRET = "bench-email-secret"
TOKEN_RE = re.compile(r"tok\d+x\d+x")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


# --- server -------------------------------------------------------------------


def prepare(args, work):
    """Migrate a fresh database, configure the channels, make an API token."""
    from bench.common import make_app

    app, url = make_app(args.database_url)
    from app.auth import create_token
    from app.db import connection
    from app.services.agents import create_agent

    with app.app_context(), connection():
        plugins = app.extensions["helpline.plugins"]
        plugins.set_settings("email", {"support_addresses": [SUPPORT], "inbound_secret": EMAIL_SECRET})
        plugins.set_settings(
            "sms",
            {
                "account_sid": ACCOUNT_SID,
                "auth_token": TWILIO_TOKEN,
                "from_number": "+15005550006",
                "public_url": PUBLIC_URL,
                "autoresponder_enabled": False,
            },
        )
        owner = create_agent("owner@shop.example", "Owner", "owner", "bench-password-1")
        _row, token = create_token(owner, "bench")
    app.extensions["helpline.db"].close()
    return url, token


def server_env(args, url, work):
    env = dict(os.environ)
    env.update(
        {
            "HELPLINE_DATABASE_URL": url,
            "HELPLINE_SECRET_KEY": "bench",
            "HELPLINE_LOG_LEVEL": "WARNING",
            "HELPLINE_ATTACHMENTS_DIR": os.path.join(work, "files"),
            "HELPLINE_SQLITE_KEEP_CONNECTIONS": "true" if args.keep_connections else "false",
            "HELPLINE_REDIS_PREFIX": f"helpline-bench-inbound-{secrets.token_hex(4)}",
        }
    )
    if url.startswith("postgres"):
        env.update(
            {
                "HELPLINE_HUEY_URL": args.redis_url,
                "HELPLINE_EVENTS_URL": args.redis_url,
                "HELPLINE_RATELIMIT_STORAGE_URI": args.redis_url,
            }
        )
    else:
        env["HELPLINE_HUEY_URL"] = "sqlite:///" + os.path.join(work, "huey.sqlite3")
        for key in ("HELPLINE_EVENTS_URL", "HELPLINE_RATELIMIT_STORAGE_URI"):
            env.pop(key, None)
    return env


def server_command(args, port):
    """The server's command line: gunicorn gthread as in operations.md, or
    granian's WSGI interface with the same processes and threads."""
    if args.server == "granian":
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "app.wsgi:app"]
        command += ["--workers", str(args.workers), "--blocking-threads", str(args.threads)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-ws"]
        command += ["--respawn-failed-workers"]  # as operations.md documents it
    else:
        command = [sys.executable, "-m", "gunicorn", "app.wsgi:app", "-k", "gthread", "-w", str(args.workers)]
        command += ["--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return command + shlex.split(args.server_args)


def start_server(args, env, port, work):
    log = open(os.path.join(work, f"{args.server}.log"), "wb")
    command = server_command(args, port)
    if args.switch_interval and args.server == "gunicorn":
        # An experiment: how much of the writer lock's hold is waiting for the GIL.
        config = os.path.join(work, "gunicorn_conf.py")
        with open(config, "w") as f:
            f.write(
                f"import sys\n\ndef post_fork(server, worker):\n    sys.setswitchinterval({args.switch_interval})\n"
            )
        command += ["-c", config]
    cwd = None
    if args.server_source:
        # Another checkout's code (e.g. the previous release, for a before/after figure).
        env = {**env, "PYTHONPATH": args.server_source}
        cwd = args.server_source
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{args.server} exited: see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{args.server} did not become ready in 60 s")


def process_tree(root):
    """The pid and every descendant pid of ``root`` (the server's workers)."""
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry))
            except OSError:
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids):
    """utime + stime of ``pids`` (threads included), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / ticks


# --- clients ------------------------------------------------------------------


class Client:
    """One client thread: its own senders (so replies never race another
    thread's state), its own keep-alive connection."""

    def __init__(self, number, args, port, validator):
        self.number = number
        self.args = args
        self.port = port
        self.validator = validator
        self.rng = random.Random(number)
        self.seq = 0
        self.phones = []
        self.threads = []  # [(address, name, root id, last id)]
        self.results = []  # (sent_at, latency, channel, kind, status)
        self.accepted = []  # (token, channel)
        self.requests = []  # (path, body, headers) of accepted messages, for the replay
        self.conn = None

    def token(self):
        self.seq += 1
        return f"tok{self.number}x{self.seq}x"

    def sms(self):
        if not self.phones or self.rng.random() < self.args.new_share:
            self.phones.append(f"+1555{self.number:02d}{len(self.phones):05d}")
            phone, kind = self.phones[-1], "new"
        else:
            phone, kind = self.rng.choice(self.phones), "reply"
        token = self.token()
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": ACCOUNT_SID,
            "From": phone,
            "To": "+15005550006",
            "Body": f"Where is my order? {token}",
            "NumMedia": "0",
            "NumSegments": "1",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(PUBLIC_URL + SMS_PATH, params),
        }
        return SMS_PATH, urlencode(params).encode(), headers, token, kind

    def email(self):
        token = self.token()
        mid = f"{token}.{secrets.token_hex(8)}@customer.example"
        if not self.threads or self.rng.random() < self.args.new_share:
            n = len(self.threads)
            self.threads.append([f"c{self.number}-{n}@customer.example", f"Customer {self.number}-{n}", mid, mid])
            index, kind, thread_headers = len(self.threads) - 1, "new", ""
        else:
            index = self.rng.randrange(len(self.threads))
            _addr, _name, root, last = self.threads[index]
            thread_headers = f"In-Reply-To: <{last}>\r\nReferences: <{root}> <{last}>\r\n"
            kind = "reply"
        address, name, _root, _last = self.threads[index]
        self.threads[index][3] = mid
        raw = (
            f"From: {name} <{address}>\r\nTo: {SUPPORT}\r\nSubject: Order question {self.number}-{index}\r\n"
            f"Message-ID: <{mid}>\r\n{thread_headers}Date: Thu, 03 Dec 2026 07:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            f"Hello, my parcel has not arrived yet. {token}\r\n\r\nThanks,\r\n{name}\r\n"
        ).encode()
        headers = {
            "Content-Type": "message/rfc822",
            "X-Helpline-Signature": hmac.new(EMAIL_SECRET.encode(), raw, hashlib.sha256).hexdigest(),
        }
        return EMAIL_PATH, raw, headers, token, kind

    def post(self, path, body, headers):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("POST", path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                # gunicorn closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def run(self, start, stop):
        start.wait()
        while time.monotonic() < stop[0]:
            channel = "email" if self.rng.random() < self.args.email_share else "sms"
            path, body, headers, token, kind = self.email() if channel == "email" else self.sms()
            sent = time.monotonic()
            status, _data = self.post(path, body, headers)
            latency = time.monotonic() - sent
            self.results.append((sent, latency, channel, kind, status))
            if 200 <= status < 300:
                self.accepted.append((token, channel))
                if len(self.requests) < self.args.replay:
                    self.requests.append((path, body, headers))
        if self.conn is not None:
            self.conn.close()


# --- checks -------------------------------------------------------------------


def api_get(port, token, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status} {data[:200]!r}")
    return json.loads(data)


def visible_tokens(port, token, threads=4):
    """Every message token in every ticket's thread, read through the API."""
    ticket_ids, cursor = [], None
    while True:
        page = api_get(
            port, token, "/api/v1/tickets?view=all&limit=100" + (f"&cursor={quote(cursor)}" if cursor else "")
        )
        ticket_ids.extend(t["id"] for t in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    seen, lock = set(), threading.Lock()

    def read(ids):
        for ticket_id in ids:
            before = None
            while True:
                query = f"?limit=200&before={before}" if before else "?limit=200"
                page = api_get(port, token, f"/api/v1/tickets/{ticket_id}/messages{query}")
                found = {t for m in page["items"] for t in TOKEN_RE.findall(m.get("text") or "")}
                with lock:
                    seen.update(found)
                if not page.get("has_more"):
                    break
                before = page["before"]

    workers = [threading.Thread(target=read, args=(ticket_ids[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return seen, len(ticket_ids)


def table_counts(url):
    """(tickets, messages) straight from the database."""
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("ticket", "message"))
    import sqlite3

    conn = sqlite3.connect(url.split(":///", 1)[1])
    try:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("ticket", "message"))
    finally:
        conn.close()


# --- main ---------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=None, help="postgresql://... (reset!) or empty for a scratch SQLite file")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="with PostgreSQL: queue, events, limits")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds, after the warm-up")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--clients", type=int, default=8, help="client threads, each one request at a time")
    p.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="gunicorn gthread (operations.md's default) or granian's WSGI interface (pip install granian)",
    )
    p.add_argument(
        "--server-args",
        default="",
        help="more options for the server's command line, e.g. '--keep-alive 30' or '--runtime-threads 2'",
    )
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument("--threads", type=int, default=8, help="threads per worker (granian: --blocking-threads)")
    p.add_argument("--email-share", type=float, default=0.5, help="fraction of messages that are email")
    p.add_argument("--new-share", type=float, default=0.3, help="fraction of messages from a new sender")
    p.add_argument("--replay", type=int, default=50, help="accepted requests per client replayed at the end")
    p.add_argument(
        "--no-keep-connections",
        dest="keep_connections",
        action="store_false",
        help="SQLite: HELPLINE_SQLITE_KEEP_CONNECTIONS=false (a connection per request, the old behaviour)",
    )
    p.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval() in the gunicorn workers (seconds; Python's default is 0.005)",
    )
    p.add_argument(
        "--server-source",
        default=None,
        help="run the server from this source tree (PYTHONPATH) instead of the installed code: before/after runs",
    )
    args = p.parse_args()
    import logging

    logging.disable(logging.INFO)
    from twilio.request_validator import RequestValidator

    work = tempfile.mkdtemp(prefix="helpline-inbound-")
    url, api_token = prepare(args, work)
    backend = "postgresql+redis" if url.startswith("postgres") else "sqlite"
    port = free_port()
    server = start_server(args, server_env(args, url, work), port, work)
    try:
        validator = RequestValidator(TWILIO_TOKEN)
        clients = [Client(i, args, port, validator) for i in range(args.clients)]
        load = os.getloadavg()
        start = threading.Barrier(args.clients + 1)
        stop = [time.monotonic() + 3600]
        workers = [threading.Thread(target=c.run, args=(start, stop)) for c in clients]
        for w in workers:
            w.start()
        start.wait()
        began = time.monotonic()
        stop[0] = began + args.warmup + args.duration
        time.sleep(args.warmup)
        pids = process_tree(server.pid)
        cpu0, client0, t0 = cpu_seconds(pids), sum(os.times()[:2]), time.monotonic()
        time.sleep(args.duration)
        cpu1, client1, t1 = cpu_seconds(pids), sum(os.times()[:2]), time.monotonic()
        for w in workers:
            w.join()

        results = [r for c in clients for r in c.results]
        window = [r for r in results if t0 <= r[0] and r[0] + r[1] <= t1]
        ok = [r for r in window if 200 <= r[4] < 300]
        errors = collections.Counter(r[4] for r in results if not 200 <= r[4] < 300)
        latencies = sorted(r[1] * 1000 for r in ok)
        elapsed = t1 - t0
        rate = len(ok) / elapsed
        by = collections.Counter((r[2], r[3]) for r in ok)
        print(
            f"backend={backend} {' '.join(server_command(args, port)[2:])}; "
            f"{args.clients} clients; {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up; "
            f"keep connections={args.keep_connections if backend == 'sqlite' else 'n/a'}"
        )
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(
            f"accepted in window: {len(ok)} (sms new {by['sms', 'new']}, sms reply {by['sms', 'reply']}, "
            f"email new {by['email', 'new']}, email reply {by['email', 'reply']}); "
            f"non-2xx over the whole run: {dict(errors) or 'none'}"
        )
        print(f"rate: {rate:.1f} messages/s")
        print(
            f"acceptance latency: p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {latencies[-1] if latencies else float('nan'):.1f} ms"
        )
        if ok:
            print(
                f"server CPU: {(cpu1 - cpu0) * 1000 / len(ok):.2f} ms per message "
                f"({(cpu1 - cpu0) / elapsed:.2f} cores busy); client CPU: {(client1 - client0) * 1000 / len(ok):.2f} "
                f"ms per message"
            )

        accepted = {token for c in clients for token, _channel in c.accepted}
        seen, tickets = visible_tokens(port, api_token)
        missing = accepted - seen
        print(
            f"visible through the API: {len(accepted & seen)} of {len(accepted)} accepted messages "
            f"({tickets} tickets); missing: {len(missing)}"
        )
        before = table_counts(url)
        replay = [req for c in clients for req in c.requests]
        replayer = Client(99, args, port, validator)
        statuses = collections.Counter(replayer.post(*req)[0] for req in replay)
        after = table_counts(url)
        print(
            f"replay of {len(replay)} accepted requests: answers {dict(statuses)}; "
            f"tickets {before[0]} -> {after[0]}, messages {before[1]} -> {after[1]}"
        )
        failed = bool(missing) or before != after or any(not 200 <= s < 300 for s in statuses)
        print("checks: " + ("FAILED" if failed else "passed"))
        return 1 if failed else 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"work folder: {work}")


if __name__ == "__main__":
    sys.exit(main())
