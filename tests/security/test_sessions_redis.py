"""The Redis session store (``SESSION_URL=redis://...``) as an operator
sees it: keys under the deployment's prefix, holding digests only, and one
session seen and revoked by every web process. The shared behaviour
(logout, timeouts, deactivation, ...) runs on both stores in test_sessions.py."""

import pytest
import redis

from .test_sessions import REDIS_URL, _log_in, _reuse


@pytest.fixture
def helpline_config():
    return {"SESSION_URL": REDIS_URL}


@pytest.fixture
def redis_keys(app):
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)

    def keys():
        return list(client.scan_iter(app.config["REDIS_PREFIX"] + ":sessions:*"))

    yield keys
    if keys():
        client.delete(*keys())


def test_sessions_live_under_the_deployments_prefix_as_digests(app, client, make_agent, redis_keys):
    agent = make_agent()
    cookie = _log_in(client, agent)
    keys = redis_keys()
    assert any(":sessions:s:" in key for key in keys)
    assert all(key.startswith(app.config["REDIS_PREFIX"] + ":sessions:") for key in keys)
    sid = app.session_interface.get_signing_serializer(app).loads(cookie)["sid"]
    assert not any(sid in key for key in keys)  # the key names the digest, never the cookie's id
    assert client.post("/logout").status_code == 302
    assert not any(":sessions:s:" in key for key in redis_keys())


def test_every_web_process_sees_a_session_and_its_revocation(app, client, make_agent, redis_keys):
    from app import create_app

    agent = make_agent()
    cookie = _log_in(client, agent)
    other_host = create_app({**app.config, "CLOCK": app.extensions["helpline.clock"]})
    try:
        elsewhere = _reuse(other_host, cookie)
        assert elsewhere.get("/api/v1/me").get_json()["agent"]["email"] == agent.email
        assert client.delete("/api/v1/me/sessions").status_code == 204
        assert elsewhere.get("/api/v1/me").status_code == 401
    finally:
        other_host.extensions["helpline.bus"].close()


def test_an_unknown_session_url_stops_startup(app):
    from app import create_app

    with pytest.raises(RuntimeError, match="SESSION_URL"):
        create_app({**app.config, "SESSION_URL": "memcached://127.0.0.1"})


def test_readyz_reports_a_session_redis_that_cannot_be_reached(app, redis_keys):
    from app import create_app

    assert app.test_client().get("/readyz").json["checks"]["sessions"] == {"ok": True}
    down = create_app({**app.config, "SESSION_URL": "redis://127.0.0.1:1/0"})
    try:
        ready = down.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.json["checks"]["sessions"]["ok"] is False
    finally:
        down.extensions["helpline.bus"].close()
