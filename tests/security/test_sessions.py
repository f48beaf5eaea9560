"""Server-side sessions: logout, timeouts, deactivation and "log out
everywhere" end them for good; the cookie is only a random id. Every test
runs on both stores: the database table and Redis (``SESSION_URL``, the
real Redis on 127.0.0.1:6379)."""

import os

import pytest
import redis

PASSWORD = "correct horse battery"
REDIS_URL = os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["database", "redis"])
def helpline_config(request):
    return {"SESSION_URL": REDIS_URL} if request.param == "redis" else {}


@pytest.fixture(autouse=True)
def _clean_redis(app):
    yield
    if app.config.get("SESSION_URL"):
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(app.config["REDIS_PREFIX"] + ":sessions:*"))
        if keys:
            client.delete(*keys)


def _stored(app, agent):
    """The sessions the store still holds for ``agent``, whatever the store."""
    return app.extensions["helpline.sessions"].list_agent(agent.id)


def _log_in(client, agent):
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    return client.get_cookie("session").value


def _reuse(app, cookie):
    """Another browser holding a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_the_cookie_carries_no_password_material(app, client, make_agent):
    agent = make_agent()
    cookie = _log_in(client, agent)
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(data) <= {"sid", "csrf_token", "_permanent"}
    assert agent.password_hash[-16:] not in cookie
    [record] = _stored(app, agent)
    assert record.id_hash != data["sid"]  # only a digest is stored


def test_logout_refuses_the_old_cookie(app, client, make_agent):
    agent = make_agent()
    cookie = _log_in(client, agent)
    copy = _reuse(app, cookie)
    assert copy.get("/api/v1/me").status_code == 200
    assert client.post("/logout").status_code == 302
    assert copy.get("/api/v1/me").status_code == 401
    assert copy.get("/inbox/mine").status_code == 302


def test_idle_timeout(app, client, make_agent, clock):
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=24)
    agent = make_agent()
    _log_in(client, agent)
    for _ in range(4):  # in use: every request keeps it alive
        clock.advance(minutes=20)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/api/v1/me").status_code == 401
    assert _stored(app, agent) == []


def test_absolute_timeout(app, client, make_agent, clock):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_MAX_HOURS=2)
    _log_in(client, make_agent())
    for _ in range(3):
        clock.advance(minutes=40)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/api/v1/me").status_code == 401


def test_deactivation_ends_every_session(app, client, make_agent, login):
    admin = make_agent(role="admin")
    agent = make_agent()
    browsers = [_reuse(app, _log_in(app.test_client(), agent)) for _ in range(2)]
    assert all(b.get("/api/v1/me").status_code == 200 for b in browsers)
    login(client, admin)
    assert client.post(f"/settings/agents/{agent.id}", data={"active": "false"}).status_code == 302
    assert [b.get("/api/v1/me").status_code for b in browsers] == [401, 401]
    assert _stored(app, agent) == []


def test_a_password_set_by_an_admin_ends_the_sessions(app, client, make_agent, login):
    admin = make_agent(role="admin")
    agent = make_agent()
    browser = _reuse(app, _log_in(app.test_client(), agent))
    login(client, admin)
    client.post(f"/settings/agents/{agent.id}", data={"password": "a brand new secret"})
    assert browser.get("/api/v1/me").status_code == 401


def test_log_out_everywhere_from_the_page(app, client, make_agent):
    agent = make_agent()
    elsewhere = _reuse(app, _log_in(app.test_client(), agent))
    _log_in(client, agent)
    page = client.get("/account/sessions")
    assert page.status_code == 200
    assert page.data.count(b"data-session=") == 2 and b"this browser" in page.data
    assert b"Log out everywhere" in page.data
    done = client.post("/account/sessions/revoke")
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_log_out_everywhere_through_the_api(app, client, make_agent):
    agent = make_agent()
    elsewhere = _reuse(app, _log_in(app.test_client(), agent))
    _log_in(client, agent)
    listed = client.get("/api/v1/me/sessions").get_json()["items"]
    assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
    assert {"id", "created_at", "last_seen_at", "ip", "user_agent"} <= set(listed[0])
    assert client.delete("/api/v1/me/sessions").status_code == 204
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_log_out_everywhere_needs_the_csrf_token(app, client, make_agent):
    app.config["WTF_CSRF_ENABLED"] = True
    agent = make_agent()
    _log_in_with_csrf(client, agent)
    refused = client.delete("/api/v1/me/sessions")
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    assert client.delete("/api/v1/me/sessions", headers={"X-CSRFToken": token}).status_code == 204


def _log_in_with_csrf(client, agent):
    response = client.post("/api/v1/session", json={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 200


def test_revoke_sessions_can_keep_the_current_one(app, make_agent):
    from app.services.sessions import revoke_sessions

    agent = make_agent()
    mine, other = app.test_client(), _reuse(app, _log_in(app.test_client(), agent))
    _log_in(mine, agent)
    with mine:
        mine.get("/api/v1/me")
        assert revoke_sessions(agent, except_current=True) == 1
    assert mine.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("https", [False, True])
def test_cookie_flags_and_hsts_follow_https(app, client, make_agent, https):
    agent = make_agent()
    base = "https://helpdesk.example" if https else "http://localhost"
    response = client.post("/login", base_url=base, data={"email": agent.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is https
    assert ("Strict-Transport-Security" in response.headers) is https
