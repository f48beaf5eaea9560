"""Session and token flows, CSRF on cookie requests, the login rate limit."""

import os

import pytest

from app.auth import create_token
from app.models import ApiToken

PASSWORD = "correct horse battery"


def api_login(client, email, password=PASSWORD):
    """POST /session (not the ``login`` fixture, which sets the cookie directly)."""
    return client.post("/api/v1/session", json={"email": email, "password": password})


def test_session_login_me_and_logout(client, make_agent):
    agent = make_agent(role="manager", email="maya@example.com")
    assert client.get("/api/v1/me").status_code == 401
    wrong = api_login(client, "maya@example.com", "not the password")
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_credentials"
    nobody = api_login(client, "nobody@example.com")
    assert nobody.status_code == 401 and nobody.get_json() == wrong.get_json()  # no account enumeration
    response = api_login(client, "MAYA@example.com ")
    assert response.status_code == 200
    assert response.get_json()["agent"]["id"] == agent.id and response.get_json()["csrf_token"]
    me = client.get("/api/v1/me").get_json()
    assert me["agent"]["email"] == "maya@example.com"
    assert "shared_views" in me["permissions"] and "agents" not in me["permissions"]
    assert set(me["unread"]) == {"mine", "unassigned", "all"}
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_deactivated_agent_cannot_log_in(client, make_agent):
    agent = make_agent(email="gone@example.com")
    agent.is_active = False
    agent.save()
    assert api_login(client, "gone@example.com").status_code == 401


def test_token_is_shown_once_works_and_stops_when_revoked(client, make_agent, login):
    agent = make_agent(role="support", password=None)
    login(client, agent)
    created = client.post("/api/v1/tokens", json={"name": "CLI"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = created.get_json()["token"]
    assert token.startswith("hl_")
    row = ApiToken.get_by_id(created.get_json()["id"])
    assert token not in (row.token_hash, row.prefix)  # stored hashed
    listed = client.get("/api/v1/tokens").get_json()["items"]
    assert [t["name"] for t in listed] == ["CLI"] and "token" not in listed[0]

    other = type(client)(client.application)  # no cookie: the token alone
    headers = {"Authorization": f"Bearer {token}"}
    assert other.get("/api/v1/me", headers=headers).get_json()["agent"]["id"] == agent.id
    assert other.get("/api/v1/me", headers={"Authorization": "Bearer hl_wrong"}).status_code == 401
    assert client.delete(f"/api/v1/tokens/{row.id}").status_code == 204
    response = other.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_tokens_of_others_cannot_be_revoked(client, make_agent, login):
    from app.auth import create_token

    mine, theirs = make_agent(password=None), make_agent(password=None)
    row, _ = create_token(theirs, "theirs")
    login(client, mine)
    assert client.delete(f"/api/v1/tokens/{row.id}").status_code == 404
    assert ApiToken.get_by_id(row.id).revoked_at is None


class TestCsrf:
    @pytest.fixture
    def helpline_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_cookie_requests_need_the_csrf_header(self, client, make_agent, ticket):
        make_agent(role="support", email="sam@example.com")
        csrf = api_login(client, "sam@example.com").get_json()["csrf_token"]
        url = f"/api/v1/tickets/{ticket.id}"
        refused = client.patch(url, json={"tags": ["x"]})
        assert refused.status_code == 400
        assert refused.get_json()["error"]["code"] == "csrf_failed"
        wrong = client.patch(url, json={"tags": ["x"]}, headers={"X-CSRFToken": "nope"})
        assert wrong.status_code == 400
        ok = client.patch(url, json={"tags": ["x"]}, headers={"X-CSRFToken": csrf})
        assert ok.status_code == 200 and ok.get_json()["tags"] == ["x"]
        assert client.delete("/api/v1/session").status_code == 400  # logging out is protected too

    def test_the_login_itself_needs_no_csrf_token(self, client, make_agent):
        make_agent(role="support", email="sam@example.com")
        assert api_login(client, "sam@example.com").status_code == 200  # the login itself needs no token

    def test_without_credentials_the_answer_is_401(self, client, ticket):
        response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"tags": ["x"]})
        assert response.status_code == 401

    def test_bearer_requests_need_no_csrf(self, client, as_role, ticket):
        _, headers = as_role("support")
        assert client.patch(f"/api/v1/tickets/{ticket.id}", json={"tags": ["y"]}, headers=headers).status_code == 200


class TestRateLimit:
    @pytest.fixture
    def helpline_config(self, tmp_path):
        config = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
        events = os.environ.get("HELPLINE_EVENTS_URL", "")
        if events.startswith("redis://"):
            # The scale-out setup: counts shared through Redis, under a key
            # prefix of this test only.
            config.update(
                RATELIMIT_STORAGE_URI=events, RATELIMIT_KEY_PREFIX=f"helpline-test-{os.getpid()}-{tmp_path.name}"
            )
        return config

    def test_login_is_rate_limited(self, client, make_agent, clock):
        make_agent(email="olivia@example.com")
        for _ in range(3):
            assert api_login(client, "olivia@example.com", "guess-guess").status_code == 401
        limited = api_login(client, "olivia@example.com")
        assert limited.status_code == 429
        assert limited.get_json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) > 0

    def test_the_ui_login_form_shares_the_limit(self, client, make_agent):
        make_agent(email="olivia@example.com")
        for _ in range(2):
            assert api_login(client, "olivia@example.com", "guess-guess").status_code == 401
        form = {"email": "olivia@example.com", "password": "guess-guess"}
        assert client.post("/login", data=form).status_code == 200  # the form again, with its error
        limited = client.post("/login", data=form)
        assert limited.status_code == 429
        assert client.get("/login").status_code == 200, "showing the form is never limited"


def test_token_use_is_recorded_at_most_once_a_minute(client, make_agent, clock):
    agent = make_agent(role="support", password=None)
    row, token = create_token(agent, "CLI")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = ApiToken.get_by_id(row.id).last_used_at
    assert first == clock.now()
    clock.advance(seconds=30)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert ApiToken.get_by_id(row.id).last_used_at == first
    clock.advance(seconds=31)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert ApiToken.get_by_id(row.id).last_used_at == clock.now()
    agent.is_active = False
    agent.save()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
