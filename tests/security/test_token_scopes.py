"""API tokens: an optional expiry and a read-only scope."""

import pytest


@pytest.fixture
def owner_headers(client, make_agent, login):
    """A logged-in owner creating tokens through the API (cookie, no CSRF in tests)."""
    owner = make_agent(role="owner", password=None)
    login(client, owner)
    return owner


def _create(client, **body):
    response = client.post("/api/v1/tokens", json={"name": "t", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_read_token_reads_but_never_writes(app, client, owner_headers):
    created = _create(client, scope="read")
    assert created["scope"] == "read" and created["expires_at"] is None
    other = app.test_client()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert other.get("/api/v1/me", headers=headers).status_code == 200
    assert other.get("/api/v1/tickets", headers=headers).status_code == 200
    for method, url, body in (
        ("post", "/api/v1/views", {"name": "Mine", "filters": {}}),
        ("put", "/api/v1/me/presence", {"presence": "away"}),
        ("delete", "/api/v1/me/sessions", None),
        ("post", "/api/v1/tokens", {"name": "escalate"}),
    ):
        refused = getattr(other, method)(url, json=body, headers=headers)
        assert refused.status_code == 403, url
        assert refused.get_json()["error"]["code"] == "read_only_token"
    listed = client.get("/api/v1/tokens").get_json()["items"]
    assert listed[0]["scope"] == "read"


def test_a_full_token_writes(app, client, owner_headers):
    created = _create(client)
    assert created["scope"] == "full"
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert app.test_client().put("/api/v1/me/presence", json={"presence": "away"}, headers=headers).status_code == 200


def test_a_token_expires_by_itself(app, client, owner_headers, clock):
    created = _create(client, expires_in_days=2)
    assert created["expires_at"].startswith("2026-01-07T09:00:00")
    headers = {"Authorization": f"Bearer {created['token']}"}
    other = app.test_client()
    clock.advance(days=1, hours=23)
    assert other.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(hours=1)
    assert other.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "body", [{"scope": "admin"}, {"expires_in_days": 0}, {"expires_in_days": 100000}, {"expires_in_days": "soon"}]
)
def test_bad_token_options_are_refused(client, owner_headers, body):
    response = client.post("/api/v1/tokens", json={"name": "t", **body})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) <= {"scope", "expires_in_days"}
