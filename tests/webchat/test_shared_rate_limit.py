"""The widget's rate limits are the app's shared limiter: two web processes
on one Redis count together (a widget cannot get N times the limit by
landing on N workers or hosts)."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import SITE_KEY

REDIS_URL = os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"
ADDRESS = "10.9.8.7"

# Another web process of the same deployment: its own app, the same database
# and rate-limit storage.
START_SCRIPT = """
import json, sys
from app import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": sys.argv[1], "STRICT_PLUGINS": True,
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3],
                  "PASSWORD_HASH_COST": "low"})
client = app.test_client()
body = {"key": sys.argv[4]}
statuses = [client.post("/api/v1/webchat/conversations", json=body, environ_base={"REMOTE_ADDR": sys.argv[5]})
            for _ in range(int(sys.argv[6]))]
print(json.dumps([[r.status_code, r.get_json()] for r in statuses]))
"""


@pytest.fixture
def helpline_config(tmp_path):
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        # This test's own counters, whatever else shares the Redis.
        "RATELIMIT_KEY_PREFIX": f"helpline-webchat-{os.getpid()}-{tmp_path.name}",
    }


def start_elsewhere(app, times):
    """``times`` conversation starts from ADDRESS in a process of its own."""
    args = [
        sys.executable,
        "-c",
        START_SCRIPT,
        app.config["DATABASE_URL"],
        REDIS_URL,
        app.config["RATELIMIT_KEY_PREFIX"],
        SITE_KEY,
        ADDRESS,
        str(times),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_processes_share_the_conversation_start_limit(client, webchat, app):
    here = [
        client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY}, environ_base={"REMOTE_ADDR": ADDRESS})
        for _ in range(12)
    ]
    assert [r.status_code for r in here] == [201] * 12
    there = start_elsewhere(app, 10)
    # 20 a minute per address in all: the other process gets the 8 left.
    assert [status for status, _ in there] == [201] * 8 + [429] * 2
    assert there[-1][1] == {"error": {"code": "rate_limited", "message": "Too many requests; slow down."}}
    refused = client.post(
        "/api/v1/webchat/conversations", json={"key": SITE_KEY}, environ_base={"REMOTE_ADDR": ADDRESS}
    )
    assert refused.status_code == 429
    assert refused.get_json() == {"error": {"code": "rate_limited", "message": "Too many requests; slow down."}}
    # Another address has its own count.
    other = client.post(
        "/api/v1/webchat/conversations", json={"key": SITE_KEY}, environ_base={"REMOTE_ADDR": "10.9.8.8"}
    )
    assert other.status_code == 201
