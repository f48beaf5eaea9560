"""Fault test: kill the web server and the task consumer with SIGKILL at
random moments while mail arrives and agents reply, and check two ledgers.

Inbound: every message acknowledged with a 2xx is in the database, exactly
once. Outbound: every reply stored (acknowledged with a 201 or not) reaches
the mail provider at least once, every copy of one reply carries the same
Message-ID (so a second copy is a duplicate the customer's mail client
drops, the at-least-once contract), and nothing else is delivered.

Each round starts ``helpline run`` (the web server and its in-process task
consumer) and a separate ``helpline worker`` (a huey consumer) on the same
SQLite file and task queue. 8 threads post signed raw emails to
``/email/inbound`` (the provider's webhook), 2 threads post replies through
the API (``POST /api/v1/tickets/<id>/messages``, each with a unique
marker), and replies go out by SMTP to a local aiosmtpd sink that records
every delivery. After a random 0.3-2.5 s the web server and the worker are
each SIGKILLed at their own random moment. An inbound delivery whose answer
never came is retried in a later round, as a provider does; a reply whose
answer never came is not posted again (the API has no idempotency key), but
if it was stored it must be delivered all the same. The outbox lease is 1 s
here (``HELPLINE_OUTBOX_LEASE_SECONDS``), so a reply claimed by a killed
worker is due again quickly. After the last round one more server and
worker store what is still pending and the retry sweep (the body of the
once-a-minute periodic task) runs until no reply is pending; then the
ledgers are checked against the ``message`` and ``outbox`` tables and the
sink.

    .venv/bin/python bench/fault_ledger.py --rounds 20      # the documented bar
    .venv/bin/python bench/fault_ledger.py --rounds 3 --seed 7

Exits 0 when the ledger holds, 1 (naming the lost or doubled ids) otherwise.
Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.testing.mail import SmtpSink  # noqa: E402  (a real SMTP server standing in for the provider)

SECRET = "fault-ledger-secret-0123456789"
SENDERS = 8
REPLIERS = 2
MARKER = re.compile(r"ledger-reply-(\d+)")

# Run in a process of its own at setup: the agent whose token posts replies.
TOKEN_SCRIPT = """
from app import create_app
from app.auth import create_token
from app.db import connection
from app.testing.factories import agent
app = create_app()
with app.app_context(), connection():
    print(create_token(agent(role="support", email="ledger@shop.example"), "fault ledger")[1])
"""

# The retry sweep's body, run until no reply is pending (bounded by the caller).
SWEEP_SCRIPT = """
from app import create_app
from app.db import connection
from app.models import Outbox
from app.services.outbox import retry_due
app = create_app()
with app.app_context(), connection():
    retry_due()
    print(Outbox.select().where(Outbox.state == "pending").count())
"""


def _helpline():
    return [sys.executable, "-c", "from app.cli import main; main()"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mail(n):
    return (
        f"From: Customer {n} <c{n}@customer.example>\r\nTo: support@shop.example\r\n"
        f"Subject: Order {n}\r\nMessage-ID: <ledger-{n}@customer.example>\r\n"
        f"Date: Mon, 05 Jan 2026 09:00:00 +0000\r\n\r\nWhere is order {n}?\r\n"
    ).encode()


def _signature(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


class Ledger:
    """What the provider knows: which messages were acknowledged."""

    def __init__(self, total):
        self.pending = list(range(total))
        self.acked = set()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            return self.pending.pop(0) if self.pending else None

    def settle(self, n, ok):
        with self.lock:
            if ok:
                self.acked.add(n)
            else:
                self.pending.append(n)  # no answer: delivered again later


class Replies:
    """What the agents know: which replies the API acknowledged, and which
    were posted without an answer (they may or may not be stored)."""

    def __init__(self, total):
        self.next = 0
        self.total = total
        self.acked = set()
        self.unanswered = set()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if self.next >= self.total:
                return None
            self.next += 1
            return self.next - 1

    def settle(self, n, ok):
        with self.lock:
            (self.acked if ok else self.unanswered).add(n)


def _api(base, token, path, body=None):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, json.loads(answer.read() or b"null")


def _reply(base, token, replies, stop):
    while not stop.is_set():
        try:
            _, page = _api(base, token, "/api/v1/tickets?view=all&limit=20")
        # A server killed mid-answer cuts the body short (IncompleteRead).
        except (urllib.error.URLError, OSError, ConnectionError, ValueError, http.client.HTTPException):
            time.sleep(0.05)
            continue
        tickets = [t["id"] for t in page["items"]]
        if not tickets:
            time.sleep(0.05)
            continue
        n = replies.take()
        if n is None:
            return
        body = {"kind": "reply", "text": f"About your order: it ships today. ledger-reply-{n}"}
        try:
            status, _ = _api(base, token, f"/api/v1/tickets/{tickets[n % len(tickets)]}/messages", body)
            replies.settle(n, status == 201)
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"reply {n} refused: {err.code} {err.read()[:300]!r}") from err
        except (urllib.error.URLError, OSError, ConnectionError, ValueError, http.client.HTTPException):
            replies.settle(n, False)
            time.sleep(0.05)


def _deliver(url, ledger, stop):
    while not stop.is_set():
        n = ledger.take()
        if n is None:
            return
        body = _mail(n)
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "message/rfc822", "X-Helpline-Signature": _signature(body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                ledger.settle(n, 200 <= answer.status < 300)
        except (urllib.error.URLError, OSError, ConnectionError):
            ledger.settle(n, False)
            time.sleep(0.05)


class Server:
    """``helpline run`` (web and in-process consumer) plus a separate
    ``helpline worker`` on the same database and queue."""

    def __init__(self, env, log):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [*_helpline(), "run", "--no-demo", "--port", str(self.port), "--workers", "2"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.worker = subprocess.Popen(
            [*_helpline(), "worker", "-w", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"helpline run exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError("helpline run did not answer in time")

    def kill(self, rng):
        """SIGKILL the web server and the worker, each at its own moment
        (either may go first), as a crash or an OOM kill would."""
        first, second = rng.sample([self.proc, self.worker], 2)
        first.send_signal(signal.SIGKILL)
        time.sleep(rng.uniform(0, 0.5))
        second.send_signal(signal.SIGKILL)
        for proc in (first, second):
            proc.wait(timeout=30)

    def stop(self):
        for proc in (self.proc, self.worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (self.proc, self.worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def _setup(env, smtp_port):
    """Migrate, point the email channel at the sink, and return an agent's
    API token."""
    settings = [
        f"inbound_secret={SECRET}",
        "support_addresses=support@shop.example",
        "smtp_host=127.0.0.1",
        f"smtp_port={smtp_port}",
        "smtp_security=none",
        "smtp_timeout=10",
    ]
    steps = (["migrate"], ["plugins", "settings", "email", *[a for kv in settings for a in ("--set", kv)]])
    for args in steps:
        subprocess.run([*_helpline(), *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    done = subprocess.run(
        [sys.executable, "-c", TOKEN_SCRIPT], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def _sweep_until_sent(env, timeout=120):
    """Run the retry sweep until no reply is pending (the lease of a reply
    claimed by a killed worker runs out after 1 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.2)
        done = subprocess.run(
            [sys.executable, "-c", SWEEP_SCRIPT], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        if done.stdout.strip().splitlines()[-1] == "0":
            return
    raise RuntimeError("replies still pending after the retry sweeps")


def _stored(db_path):
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT external_id, count(*) FROM message WHERE direction = 'inbound' GROUP BY external_id"
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def _stored_replies(db_path):
    """``{reply number: (message id, outbox state)}`` for every stored reply."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT m.id, m.text, o.state FROM message m LEFT JOIN outbox o ON o.message_id = m.id "
            "WHERE m.direction = 'outbound' AND m.kind = 'message'"
        ).fetchall()
    finally:
        conn.close()
    stored = {}
    for message_id, text, state in rows:
        found = MARKER.search(text or "")
        if found:
            stored.setdefault(int(found.group(1)), []).append((message_id, state))
    return stored


def _delivered(sink):
    """``{reply number: [Message-ID of each copy]}`` from the SMTP sink."""
    copies = {}
    for _, mail in list(sink.messages):
        part = mail.get_body(preferencelist=("plain", "html"))
        found = MARKER.search(part.get_content() if part is not None else "")
        if found:
            copies.setdefault(int(found.group(1)), []).append(str(mail["Message-ID"]))
    return copies


def check_replies(replies, stored, delivered):
    """Problems with the outbound ledger (empty when it holds), and how
    many copies were duplicates with a stable Message-ID."""
    problems, duplicates = [], 0
    for n in sorted(replies.acked):
        if n not in stored:
            problems.append(f"reply {n}: acknowledged with 201, not stored")
    for n, rows in sorted(stored.items()):
        if len(rows) != 1:
            problems.append(f"reply {n}: stored {len(rows)} times")
        if any(state != "sent" for _, state in rows):
            problems.append(f"reply {n}: outbox state {[state for _, state in rows]}, not sent")
        copies = delivered.get(n, [])
        if not copies:
            problems.append(f"reply {n}: stored, never delivered (lost)")
        elif len(set(copies)) != 1:
            problems.append(
                f"reply {n}: delivered {len(copies)} times with different Message-IDs {sorted(set(copies))}"
            )
        else:
            duplicates += len(copies) - 1
    for n in sorted(set(delivered) - set(stored)):
        problems.append(f"reply {n}: delivered but not stored")
    return problems, duplicates


def run(rounds, messages, seed=0, workdir=None, out=print, replies=None):
    """Run ``rounds`` kill rounds over ``messages`` emails and ``replies``
    replies (default: half as many); returns a list of problems (empty when
    both ledgers hold)."""
    rng = random.Random(seed)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="helpline-fault-"))
    db_path = workdir / "helpline.sqlite3"
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": f"sqlite:///{db_path}",
        "HELPLINE_SECRET_KEY": "fault-ledger",
        "HELPLINE_ATTACHMENTS_DIR": str(workdir / "attachments"),
        "HELPLINE_RATELIMIT_ENABLED": "false",
        "HELPLINE_OUTBOX_LEASE_SECONDS": "1",
        "HELPLINE_STRICT_PLUGINS": "1",
        "FLASK_DEBUG": "0",
    }
    for name in ("HELPLINE_HUEY_URL", "HELPLINE_EVENTS_URL", "HELPLINE_SESSION_URL"):
        env.pop(name, None)  # one SQLite file holds everything: the queue too
    sink = SmtpSink()
    try:
        token = _setup(env, sink.port)
        ledger = Ledger(messages)
        reply_ledger = Replies(messages // 2 if replies is None else replies)
        with open(workdir / "server.log", "ab") as log:
            for number in range(1, rounds + 2):
                final = number == rounds + 1
                server = Server(env, log)
                server.wait_ready()
                stop = threading.Event()
                threads = [
                    threading.Thread(target=_deliver, args=(server.url + "/email/inbound", ledger, stop), daemon=True)
                    for _ in range(SENDERS)
                ] + [
                    threading.Thread(target=_reply, args=(server.url, token, reply_ledger, stop), daemon=True)
                    for _ in range(REPLIERS)
                ]
                for thread in threads:
                    thread.start()
                if final:
                    for thread in threads:
                        thread.join(timeout=120)
                    _sweep_until_sent(env)
                    server.stop()
                else:
                    time.sleep(rng.uniform(0.3, 2.5))
                    server.kill(rng)
                    stop.set()
                    for thread in threads:
                        thread.join(timeout=15)
                out(
                    f"round {number}{' (final)' if final else ''}: {len(ledger.acked)} of {messages} acknowledged, "
                    f"{len(reply_ledger.acked)} replies acknowledged, {len(reply_ledger.unanswered)} unanswered, "
                    f"{len(sink.messages)} mails delivered"
                )
        stored = _stored(db_path)
        problems = []
        for n in sorted(ledger.acked):
            count = stored.get(f"ledger-{n}@customer.example", 0)
            if count != 1:
                problems.append(f"ledger-{n}: acknowledged, stored {count} times")
        if len(ledger.acked) != messages:
            problems.append(f"only {len(ledger.acked)} of {messages} acknowledged after the final round")
        reply_problems, duplicates = check_replies(reply_ledger, _stored_replies(db_path), _delivered(sink))
        out(f"outbound: {duplicates} duplicate deliveries, each with its reply's one Message-ID")
        return problems + reply_problems
    finally:
        sink.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--replies", type=int, default=None, help="default: half of --messages")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    problems = run(args.rounds, args.messages, args.seed, replies=args.replies)
    for problem in problems:
        print("LOST OR DOUBLED:", problem)
    print("ledger holds" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
