"""Inbound SMS webhooks per second, through the whole HTTP entry point:
signature check (twilio's RequestValidator), form validation, keyword check,
attribution lookup, ingest and the empty TwiML answer. Requests go through
Flask's WSGI test client (no network), so the figure is Helpline's own cost.

    python bench/sms_webhook.py --messages 2000 [--threads 4] [--database-url postgresql://...]

One message in four comes from a new number (a new ticket), the rest append
to the sender's ticket; then Twilio-style re-deliveries of the same
MessageSid; then keyword messages (START). The autoresponder is off (it
would call Twilio). The PostgreSQL database given is reset.
"""

import logging
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import make_app, parser

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TOKEN = "bench-auth-token"
PUBLIC_URL = "https://help.example.com"
PATH = "/sms/twilio/inbound"


def signed(validator, body, phone, sid=None):
    params = {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }
    return params, {"X-Twilio-Signature": validator.compute_signature(PUBLIC_URL + PATH, params)}


def run(app, requests, threads):
    """Post the pre-signed requests from ``threads`` threads; returns requests/s."""
    from app.db import db

    chunks = [requests[i::threads] for i in range(threads)]
    failures = []

    def worker(chunk):
        client = app.test_client()
        for params, headers in chunk:
            response = client.post(PATH, data=params, headers=headers)
            if response.status_code != 200:
                failures.append(response.status_code)
        if not db.is_closed():
            db.close()

    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} webhooks failed: {sorted(set(failures))}")
    return len(requests) / elapsed


def main():
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--threads", type=int, default=4)
    args = p.parse_args()
    logging.disable(logging.INFO)
    from twilio.request_validator import RequestValidator

    app, url = make_app(args.database_url)
    validator = RequestValidator(TOKEN)
    n = args.messages
    with app.app_context():
        from app.db import connection

        with connection():
            app.extensions["helpline.plugins"].set_settings(
                "sms",
                {
                    "account_sid": ACCOUNT_SID,
                    "auth_token": TOKEN,
                    "from_number": "+15005550006",
                    "public_url": PUBLIC_URL,
                    "autoresponder_enabled": False,
                },
            )
        single = [signed(validator, f"message {i}", f"+1555{i // 4:07d}") for i in range(n)]
        multi = [signed(validator, f"message {i}", f"+1556{i // 4:07d}") for i in range(n)]
        keywords = [signed(validator, "START", f"+1557{i:07d}") for i in range(n // 4)]
        one = run(app, single, 1)
        many = run(app, multi, args.threads)
        retries = run(app, single[: n // 2], 1)
        keyword = run(app, keywords, 1)
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"backend={backend} messages={n}")
    print(f"new + appended messages, 1 thread:   {one:8.0f} webhooks/s")
    print(f"new + appended messages, {args.threads} threads:  {many:8.0f} webhooks/s")
    print(f"Twilio re-deliveries (duplicates):   {retries:8.0f} webhooks/s")
    print(f"keyword messages (START):            {keyword:8.0f} webhooks/s")


if __name__ == "__main__":
    main()
