"""Fault test: kill the server with SIGKILL at random moments while mail
arrives, and check a ledger: every inbound message that was acknowledged
with a 2xx is in the database, exactly once.

Each round starts ``helpline run`` (the web server and its in-process task
consumer) on a fresh port over the same SQLite file, lets 8 threads post
signed raw emails to ``/email/inbound`` (the provider's webhook), and kills
the process with SIGKILL after a random 0.3-2.5 s. A delivery whose answer
never came is retried in a later round, as a provider does, so some
messages arrive twice (once stored before the kill, once again). After the
last round one more server stores what is still pending, and the ledger is
checked against the ``message`` table.

    .venv/bin/python bench/fault_ledger.py --rounds 20      # the documented bar
    .venv/bin/python bench/fault_ledger.py --rounds 3 --seed 7

Exits 0 when the ledger holds, 1 (naming the lost or doubled ids) otherwise.
Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
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
SECRET = "fault-ledger-secret-0123456789"
SENDERS = 8


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
    def __init__(self, env, log):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [*_helpline(), "run", "--no-demo", "--port", str(self.port), "--workers", "2"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

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

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def _setup(env):
    for args in (["migrate"], ["plugins", "settings", "email", "--set", f"inbound_secret={SECRET}"]):
        subprocess.run([*_helpline(), *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def _stored(db_path):
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT external_id, count(*) FROM message WHERE direction = 'inbound' GROUP BY external_id"
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def run(rounds, messages, seed=0, workdir=None, out=print):
    """Run ``rounds`` kill rounds over ``messages`` emails; returns a list of
    problems (empty when the ledger holds)."""
    rng = random.Random(seed)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="helpline-fault-"))
    db_path = workdir / "helpline.sqlite3"
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": f"sqlite:///{db_path}",
        "HELPLINE_SECRET_KEY": "fault-ledger",
        "HELPLINE_ATTACHMENTS_DIR": str(workdir / "attachments"),
        "HELPLINE_RATELIMIT_ENABLED": "false",
        "FLASK_DEBUG": "0",
    }
    _setup(env)
    ledger = Ledger(messages)
    with open(workdir / "server.log", "ab") as log:
        for number in range(1, rounds + 2):
            final = number == rounds + 1
            server = Server(env, log)
            server.wait_ready()
            stop = threading.Event()
            senders = [
                threading.Thread(target=_deliver, args=(server.url + "/email/inbound", ledger, stop), daemon=True)
                for _ in range(SENDERS)
            ]
            for sender in senders:
                sender.start()
            if final:
                for sender in senders:
                    sender.join(timeout=120)
                server.proc.send_signal(signal.SIGTERM)
                server.proc.wait(timeout=30)
            else:
                time.sleep(rng.uniform(0.3, 2.5))
                server.kill()
                stop.set()
                for sender in senders:
                    sender.join(timeout=15)
            out(f"round {number}{' (final)' if final else ''}: {len(ledger.acked)} of {messages} acknowledged")
    stored = _stored(db_path)
    problems = []
    for n in sorted(ledger.acked):
        count = stored.get(f"ledger-{n}@customer.example", 0)
        if count != 1:
            problems.append(f"ledger-{n}: acknowledged, stored {count} times")
    if len(ledger.acked) != messages:
        problems.append(f"only {len(ledger.acked)} of {messages} acknowledged after the final round")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    problems = run(args.rounds, args.messages, args.seed)
    for problem in problems:
        print("LOST OR DOUBLED:", problem)
    print("ledger holds" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
