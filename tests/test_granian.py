"""The granian command documented in operations.md ("granian: a higher webhook
rate") serves the app: a signed Twilio webhook is stored and answered with the
security headers. granian comes with the ``[dev]`` extra, as the ``[granian]``
extra brings it to operators."""

import http.client
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

PUBLIC_URL = "https://help.example.com"
TOKEN = "granian-test-token"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_documented_granian_command_serves_a_signed_webhook(tmp_path):
    from twilio.request_validator import RequestValidator

    from app.db import connection
    from app.models import Message
    from app.testing.database import migrate_fresh

    url = "sqlite:///" + str(tmp_path / "granian.sqlite3")
    config = {"DATABASE_URL": url, "SECRET_KEY": "test", "HUEY_IMMEDIATE": True}
    app = migrate_fresh(config)
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].set_settings(
            "sms",
            {
                "account_sid": "AC" + "0" * 32,
                "auth_token": TOKEN,
                "from_number": "+15005550006",
                "public_url": PUBLIC_URL,
                "autoresponder_enabled": False,
            },
        )
    app.extensions["helpline.db"].close()

    port = _free_port()
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": url,
        "HELPLINE_SECRET_KEY": "test",
        "HELPLINE_HUEY_URL": "sqlite:///" + str(tmp_path / "huey.sqlite3"),
        "HELPLINE_ATTACHMENTS_DIR": str(tmp_path / "files"),
    }
    for key in ("HELPLINE_EVENTS_URL", "HELPLINE_RATELIMIT_STORAGE_URI"):
        env.pop(key, None)  # one host on SQLite: in-process events, limits in memory
    # The command of docs/operations.md, with one worker and a free port.
    command = [sys.executable, "-m", "granian", "--interface", "wsgi", "app.wsgi:app", "--workers", "1"]
    command += ["--blocking-threads", "8", "--host", "127.0.0.1", "--port", str(port), "--no-ws"]
    command += ["--respawn-failed-workers"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                if _get(port, "/readyz") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "granian did not become ready in 60 s"
            time.sleep(0.2)

        params = {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15550001111"}
        params.update({"To": "+15005550006", "Body": "Where is my order?", "NumMedia": "0"})
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/sms/twilio/inbound", params)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/sms/twilio/inbound",
            body=urlencode(params),
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    finally:
        server.terminate()
        server.wait(timeout=30)

    with app.app_context(), connection():
        assert [m.text for m in Message.select()] == ["Where is my order?"]
