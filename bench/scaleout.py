"""The multi-host deployment, end to end, on PostgreSQL + Redis: the README's
"Scale out" steps run as separate processes, with checks of what must hold.

    .venv/bin/python -m bench.scaleout [--database-url postgresql://postgres@127.0.0.1:5432/helpline_bench_scaleout]

Steps: a fresh database; host A (gunicorn, started from a folder outside the
checkout with the installed ``app.wsgi`` module) answers 503 "run helpline
migrate" before migrations; two ``helpline migrate`` at once both succeed;
host A recovers without restart; host B, a worker and the SMTP listener
start; a mail with an attachment received by the SMTP listener process is
downloadable through both hosts; a reply whose worker is SIGKILLed mid-send
is sent again after the lease with the same Message-ID. Prints one line per
check and exits 1 when one fails. Not a test: it takes about two minutes
(the outbox retry sweep runs once a minute).
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from urllib.parse import urlparse, urlunparse

import psycopg
import requests
from aiosmtpd.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
PDF = b"%PDF-1.4 invoice 1001"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Relay:
    """The merchant's outbound SMTP server; holds each DATA for ``hold``
    seconds (after recording it), so a worker can be killed mid-send."""

    def __init__(self):
        self.messages = []
        self.hold = 0.0

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.messages.append(envelope.content)
        await asyncio.sleep(self.hold)
        return "250 OK"


def fresh_database(url):
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_for(predicate, timeout=60.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (requests.RequestException, OSError):
            pass
        time.sleep(step)
    return None


class Deployment:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="helpline-scaleout-")
        self.procs = []
        self.failures = 0
        self.env = {
            **os.environ,
            "HELPLINE_DATABASE_URL": args.database_url,
            "HELPLINE_HUEY_URL": args.redis_url,
            "HELPLINE_EVENTS_URL": args.redis_url,
            "HELPLINE_RATELIMIT_STORAGE_URI": args.redis_url,
            "HELPLINE_SECRET_KEY": "bench-scaleout-secret",
            "HELPLINE_STORAGE": "directory",
            "HELPLINE_STORAGE_DIRECTORY": os.path.join(self.work, "shared-files"),
            "HELPLINE_OUTBOX_LEASE_SECONDS": "10",
        }

    def check(self, ok, what):
        print(f"[{'ok' if ok else 'FAIL'}] {what}", flush=True)
        self.failures += not ok

    def start(self, *command, name):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        proc = subprocess.Popen(command, cwd=self.work, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def helpline(self, *args):
        return subprocess.run(
            [os.path.join(BIN, "helpline"), *args], cwd=self.work, env=self.env, capture_output=True, text=True
        )

    def gunicorn(self, port, name):
        return self.start(
            os.path.join(BIN, "gunicorn"),
            "--chdir",
            self.work,
            "app.wsgi:app",
            "-k",
            "gthread",
            "-w",
            "2",
            "--threads",
            "8",
            "-b",
            f"127.0.0.1:{port}",
            name=name,
        )

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(args):
    dep = Deployment(args)
    relay = Relay()
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        fresh_database(args.database_url)
        port_a, port_b, smtp_port = free_port(), free_port(), free_port()
        host_a, host_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"

        dep.gunicorn(port_a, "host-a")
        dep.check(wait_for(lambda: requests.get(host_a + "/healthz").ok), "host A /healthz answers before migrations")
        early = requests.get(host_a + "/api/v1/tickets")
        dep.check(
            early.status_code == 503 and "run helpline migrate" in early.json()["error"]["message"],
            f"host A before migrations: {early.status_code} {early.text.strip()[:90]}",
        )
        status = dep.helpline("migrate", "--status")
        dep.check(status.returncode == 1, f"migrate --status before: exit {status.returncode}")

        both = [None, None]
        threads = [threading.Thread(target=lambda i=i: both.__setitem__(i, dep.helpline("migrate"))) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        dep.check([r.returncode for r in both] == [0, 0], "two concurrent `helpline migrate`: both exit 0")
        dep.check(dep.helpline("migrate", "--status").returncode == 0, "migrate --status after: exit 0")
        ready = wait_for(lambda: requests.get(host_a + "/readyz").status_code == 200, timeout=15)
        dep.check(bool(ready), "host A ready without restart: " + requests.get(host_a + "/readyz").text.strip())

        dep.helpline("create-agent", "--email", "owner@shop.example", "--role", "owner", "--password", "bench-pass-1")
        settings = [
            'support_addresses=["support@shop.example"]',
            "smtp_host=127.0.0.1",
            f"smtp_port={controller.port}",
            "smtp_security=none",
        ]
        dep.helpline("plugins", "settings", "email", *[arg for s in settings for arg in ("--set", s)])
        dep.gunicorn(port_b, "host-b")
        worker = dep.start(os.path.join(BIN, "helpline"), "worker", "-w", "2", name="worker-1")
        dep.start(
            os.path.join(BIN, "helpline"),
            "email",
            "serve-smtp",
            "--host",
            "127.0.0.1",
            "--port",
            str(smtp_port),
            name="smtp",
        )
        dep.check(wait_for(lambda: requests.get(host_b + "/readyz").status_code == 200), "host B ready")

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Anna <anna@customer.example>", "support@shop.example", "Invoice"
        mail["Message-ID"] = "<bench-1@customer.example>"
        mail.set_content("The invoice is wrong.")
        mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
        wait_for(lambda: socket.create_connection(("127.0.0.1", smtp_port), timeout=1).close() or True)
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            smtp.send_message(mail)

        sessions = {}
        for name, base in (("A", host_a), ("B", host_b)):
            session = requests.Session()
            login = session.post(
                base + "/api/v1/session", json={"email": "owner@shop.example", "password": "bench-pass-1"}
            )
            session.headers["X-CSRFToken"] = login.json()["csrf_token"]
            sessions[name] = (session, base)
        session_b, _ = sessions["B"]
        ticket = session_b.get(host_b + "/api/v1/tickets", params={"view": "all"}).json()["items"][0]
        messages = session_b.get(f"{host_b}/api/v1/tickets/{ticket['id']}/messages").json()["items"]
        inbound = next(m for m in messages if m["attachments"])
        attachment = next(a for a in inbound["attachments"] if a["filename"] == "invoice.pdf")
        for name, (session, base) in sessions.items():
            got = session.get(f"{base}/attachments/{inbound['id']}/{attachment['storage_key']}")
            dep.check(
                got.status_code == 200 and got.content == PDF,
                f"attachment received by the SMTP process, from host {name}",
            )

        relay.hold = 8.0
        started = len(relay.messages)
        reply = session_b.post(
            f"{host_b}/api/v1/tickets/{ticket['id']}/messages",
            json={"kind": "reply", "text": "A new invoice is on its way."},
        )
        dep.check(reply.status_code == 201, f"reply queued through host B: {reply.status_code}")
        wait_for(lambda: len(relay.messages) > started, timeout=30)
        os.kill(worker.pid, signal.SIGKILL)  # mid-send: the relay holds the DATA answer
        worker.wait()
        relay.hold = 0.0
        first = relay.messages[started] if len(relay.messages) > started else b""
        dep.start(os.path.join(BIN, "helpline"), "worker", "-w", "2", name="worker-2")
        t0 = time.monotonic()
        wait_for(lambda: len(relay.messages) > started + 1, timeout=150, step=0.5)
        resent = relay.messages[started + 1] if len(relay.messages) > started + 1 else b""

        def message_id(raw):
            for line in raw.decode(errors="replace").splitlines():
                if line.lower().startswith("message-id:"):
                    return line.split(":", 1)[1].strip()
            return None

        dep.check(
            bool(resent) and message_id(first) == message_id(resent),
            f"reply resent {time.monotonic() - t0:.0f} s after the worker was killed, same Message-ID "
            f"{message_id(first)} == {message_id(resent)}",
        )
    finally:
        dep.stop()
        controller.stop()
    print(f"logs: {dep.work}")
    return 1 if dep.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/helpline_bench_scaleout")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
