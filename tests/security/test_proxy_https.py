"""Behind a TLS-terminating proxy (``PROXY_HOPS``), https is recognised
from ``X-Forwarded-Proto``: Secure cookies and HSTS."""

import pytest


@pytest.fixture
def helpline_config():
    return {"PROXY_HOPS": 1}


def test_forwarded_https_gets_secure_cookies_and_hsts(client, make_agent):
    agent = make_agent()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = client.post("/login", headers=https, data={"email": agent.email, "password": "correct horse battery"})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    sessions = client.get("/api/v1/me/sessions", headers=https).get_json()["items"]
    assert sessions[0]["ip"] == "203.0.113.7"  # the client's address, not the proxy's


def test_plain_http_through_the_proxy_gets_neither(client, make_agent):
    agent = make_agent()
    response = client.post(
        "/login",
        headers={"X-Forwarded-Proto": "http"},
        data={"email": agent.email, "password": "correct horse battery"},
    )
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
