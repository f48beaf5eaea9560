"""Deployments sharing one Redis: every key and channel carries the
deployment's prefix, derived from its database unless configured."""

import json
import os
import subprocess
import sys

import pytest
import redis

from app import create_app
from app.db import connection

REDIS_URL = os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"


def _app(path, **config):
    base = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": "sqlite:///" + str(path),
        "EVENTS_URL": REDIS_URL,
        "HUEY_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "STRICT_PLUGINS": True,
        "LOGIN_RATE_LIMIT": "2 per minute",
        "PASSWORD_HASH_COST": "low",
    }
    app = create_app({**base, **config})
    with app.app_context(), connection():
        app.extensions["helpline.plugins"].migrate()
    return app


LOGIN_SCRIPT = """
import json, os, sys
from app import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": sys.argv[1], "LOGIN_RATE_LIMIT": "2 per minute",
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "PASSWORD_HASH_COST": "low"})
client = app.test_client()
body = {"email": "x@example.com", "password": "wrong"}
print(json.dumps([client.post("/api/v1/session", json=body).status_code for _ in range(int(sys.argv[3]))]))
"""


def _login_statuses(app, times):
    """Failed logins from one address against ``app``'s database, in a process of their own."""
    args = [sys.executable, "-c", LOGIN_SCRIPT, app.config["DATABASE_URL"], REDIS_URL, str(times)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def two_deployments(tmp_path):
    apps = [_app(tmp_path / "shop-a.sqlite3"), _app(tmp_path / "shop-b.sqlite3")]
    yield apps
    client = redis.Redis.from_url(REDIS_URL)
    for app in apps:
        app.extensions["helpline.bus"].close()
        keys = list(client.scan_iter(app.config["REDIS_PREFIX"] + ":*"))
        if keys:
            client.delete(*keys)


def test_two_deployments_on_one_redis_see_none_of_each_others_events(two_deployments):
    a, b = two_deployments
    assert a.config["REDIS_PREFIX"] != b.config["REDIS_PREFIX"]
    with a.extensions["helpline.bus"].subscribe() as seen_by_a, b.extensions["helpline.bus"].subscribe() as seen_by_b:
        a.extensions["helpline.bus"].publish({"type": "ticket.created", "data": {"shop": "a"}})
        b.extensions["helpline.bus"].publish({"type": "ticket.created", "data": {"shop": "b"}})
        assert seen_by_a.get(timeout=5)["data"] == {"shop": "a"}
        assert seen_by_b.get(timeout=5)["data"] == {"shop": "b"}
        assert seen_by_a.get(timeout=0.3) is None
        assert seen_by_b.get(timeout=0.3) is None


def test_queues_and_rate_limits_are_per_deployment(two_deployments):
    a, b = two_deployments
    huey_a, huey_b = a.extensions["helpline.huey"], b.extensions["helpline.huey"]
    huey_a.flush()
    huey_b.flush()
    with a.app_context():
        a.extensions["helpline.tasks"][next(iter(a.extensions["helpline.tasks"]))].schedule(delay=3600)
    assert huey_a.pending_count() == 1
    assert huey_b.pending_count() == 0
    assert huey_a.storage.queue_key == a.config["REDIS_PREFIX"] + ":huey:queue"

    # Exhaust the login limit on deployment a: b still lets the same address
    # try. One app per process, as in production (the limiter is per process).
    assert _login_statuses(a, 3) == [401, 401, 429]
    assert _login_statuses(b, 1) == [401]

    client = redis.Redis.from_url(REDIS_URL)
    assert list(client.scan_iter(a.config["REDIS_PREFIX"] + ":limits:*"))
    huey_a.flush()


def test_hosts_of_one_deployment_share_the_prefix_and_it_can_be_set(tmp_path):
    one = _app(tmp_path / "same.sqlite3")
    other_host = _app(tmp_path / "same.sqlite3")
    assert one.config["REDIS_PREFIX"] == other_host.config["REDIS_PREFIX"]
    assert one.config["EVENTS_CHANNEL"] == one.config["REDIS_PREFIX"] + ":events"
    named = _app(tmp_path / "named.sqlite3", REDIS_PREFIX="shop-a")
    assert named.config["EVENTS_CHANNEL"] == "shop-a:events"
    assert named.extensions["helpline.huey"].storage.queue_key == "shop-a:huey:queue"
