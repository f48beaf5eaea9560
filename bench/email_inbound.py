"""Inbound email throughput: messages per second through the HTTP webhook
(``POST /email/inbound``, a real HTTP server on 127.0.0.1) and through the
built-in SMTP listener (smtplib, one connection, many messages).

    python bench/email_inbound.py --count 500 [--database-url postgresql://...]

Every third message replies to an earlier one (threading by References),
the rest start new threads; each carries a small attachment. The database
is a fresh SQLite file in a temporary folder unless ``--database-url``
points at PostgreSQL (the database given is reset).
"""

import http.client
import os
import smtplib
import sys
import tempfile
import threading
import time
import uuid
from email import policy
from email.message import EmailMessage

from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import make_app, parser

SUPPORT = "support@shop.example"
SECRET = "bench-secret"


def configure(app, attachments_dir):
    """Attachments in a scratch folder; the email plugin with a support address and webhook secret."""
    from app.db import connection

    app.config["ATTACHMENTS_DIR"] = attachments_dir
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].set_settings(
            "email", {"support_addresses": [SUPPORT], "inbound_secret": SECRET, "smtp_listen_port": 0}
        )


def messages(count, tag):
    """Raw messages: new threads, and every third a reply to an earlier one."""
    ids = []
    for i in range(count):
        mail = EmailMessage()
        mail["From"] = f"Customer {i % 50} <c{i % 50}@customer.example>"
        mail["To"] = SUPPORT
        mail["Subject"] = f"Order #{i}"
        mid = f"<{tag}-{i}-{uuid.uuid4().hex}@customer.example>"
        mail["Message-ID"] = mid
        if i % 3 == 2 and ids:
            mail["In-Reply-To"] = mail["References"] = ids[-1]
        ids.append(mid)
        mail.set_content(f"Hello, about order {i}.\n\nOn Monday you wrote:\n> an earlier message\n")
        mail.add_attachment(b"x" * 2048, maintype="application", subtype="pdf", filename="invoice.pdf")
        yield mail.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def bench_http(app, count):
    from plugins.email.views import signature_for

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    raws = list(messages(count, "http"))
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    start = time.perf_counter()
    for raw in raws:
        conn.request(
            "POST",
            "/email/inbound",
            body=raw,
            headers={"X-Helpline-Signature": signature_for(SECRET, raw), "Content-Type": "message/rfc822"},
        )
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201):
            raise SystemExit(f"HTTP {response.status}")
    elapsed = time.perf_counter() - start
    conn.close()
    server.shutdown()
    return count / elapsed


def bench_smtp(app, count):
    from plugins.email.smtp_server import start_listener

    controller = start_listener(app, host="127.0.0.1", port=0)
    raws = list(messages(count, "smtp"))
    try:
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", controller.port, timeout=30) as client:
            for raw in raws:
                client.sendmail("c@customer.example", [SUPPORT], raw)
        elapsed = time.perf_counter() - start
    finally:
        controller.stop()
    return count / elapsed


def main():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=500, help="messages per entry point")
    args = p.parse_args()
    app, url = make_app(args.database_url)
    with tempfile.TemporaryDirectory() as folder:
        configure(app, folder)
        backend = "postgresql" if url.startswith("postgres") else "sqlite"
        http_rate = bench_http(app, args.count)
        smtp_rate = bench_smtp(app, args.count)
        print(f"backend={backend} messages={args.count} each")
        print(f"HTTP webhook : {http_rate:8.1f} messages/s")
        print(f"SMTP listener: {smtp_rate:8.1f} messages/s")


if __name__ == "__main__":
    main()
