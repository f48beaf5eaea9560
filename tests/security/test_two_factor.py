"""Optional TOTP two-factor for owners and admins: enrol (QR code and
secret), confirm with a code, recovery codes, and a login that asks for
the code after the password (UI form and JSON API)."""

import datetime as dt
import re

import pyotp
import pytest

from app.models import AuditEntry

PASSWORD = "correct horse battery"


def _code(secret, clock, offset=0):
    at = clock.now().replace(tzinfo=dt.UTC) + dt.timedelta(seconds=offset)
    return pyotp.TOTP(secret).at(at)


def _enrol(client, clock):
    started = client.post("/account/2fa", data={"action": "start"})
    assert started.status_code == 200
    assert b"<svg" in started.data and b"otpauth://totp/" in started.data
    secret = re.search(rb"data-secret>([A-Z2-7]+)<", started.data).group(1).decode()
    wrong = client.post("/account/2fa", data={"action": "confirm", "code": "000000"})
    assert wrong.status_code == 302  # refused: shown as a flash on the page
    confirmed = client.post("/account/2fa", data={"action": "confirm", "code": _code(secret, clock)})
    assert confirmed.status_code == 200 and b"Two-factor is on" in confirmed.data
    codes = re.findall(rb"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", confirmed.data)
    assert len(codes) == 10
    return secret, [c.decode() for c in codes]


@pytest.fixture
def enrolled(client, make_agent, login, clock):
    owner = make_agent(role="owner", email="olga@example.com")
    login(client, owner)
    secret, codes = _enrol(client, clock)
    client.post("/logout")
    return owner, secret, codes


def test_login_form_asks_for_the_code_after_the_password(app, client, enrolled, clock):
    owner, secret, _ = enrolled
    clock.advance(seconds=60)  # the enrolment code is spent; a new step
    first = client.post("/login?next=/settings", data={"email": owner.email, "password": PASSWORD})
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    assert client.get("/api/v1/me").status_code == 401  # not logged in yet
    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 200 and b"That code is not valid" in wrong.data
    code = _code(secret, clock)
    done = client.post("/login/code", data={"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/settings"
    assert client.get("/api/v1/me").get_json()["agent"]["two_factor"] is True
    # The same code cannot be replayed by someone who saw it.
    other = app.test_client()
    other.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert b"That code is not valid" in other.post("/login/code", data={"code": code}).data


def test_the_code_step_expires(client, enrolled, clock):
    owner, secret, _ = enrolled
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    clock.advance(minutes=6)
    late = client.post("/login/code", data={"code": _code(secret, clock)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401


def test_a_recovery_code_works_once(app, client, enrolled):
    owner, _, codes = enrolled
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    again = app.test_client()
    again.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert b"That code is not valid" in again.post("/login/code", data={"code": codes[0]}).data
    assert b"Recovery codes left: 9" in client.get("/account/2fa").data


def test_the_json_login_needs_the_code(app, enrolled, clock):
    owner, secret, _ = enrolled
    clock.advance(seconds=60)
    client = app.test_client()
    body = {"email": owner.email, "password": PASSWORD}
    missing = client.post("/api/v1/session", json=body)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "otp_required"
    wrong = client.post("/api/v1/session", json={**body, "otp": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_otp"
    assert client.get("/api/v1/me").status_code == 401
    ok = client.post("/api/v1/session", json={**body, "otp": _code(secret, clock)})
    assert ok.status_code == 200


def test_turning_it_off_needs_a_code_and_is_audited(client, enrolled, login, clock):
    owner, secret, _ = enrolled
    login(client, owner)
    clock.advance(seconds=60)
    client.post("/account/2fa", data={"action": "disable", "code": "000000"})
    assert b"Two-factor is on" in client.get("/account/2fa").data
    client.post("/account/2fa", data={"action": "disable", "code": _code(secret, clock)})
    assert b"Two-factor is off" in client.get("/account/2fa").data
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert "2fa.enabled" in actions and actions[-1] == "2fa.disabled"
    client.post("/logout")
    assert client.post("/login", data={"email": owner.email, "password": PASSWORD}).headers["Location"] == "/inbox/mine"


@pytest.mark.parametrize("role", ["manager", "support"])
def test_two_factor_is_for_owners_and_admins(client, make_agent, login, role):
    login(client, make_agent(role=role))
    assert client.get("/account/2fa").status_code == 404
    assert client.post("/account/2fa", data={"action": "start"}).status_code == 404


def test_admins_enrol_too(client, make_agent, login, clock):
    login(client, make_agent(role="admin"))
    _enrol(client, clock)


class TestCodeRateLimit:
    @pytest.fixture
    def helpline_config(self, tmp_path):
        import os

        return {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
            "RATELIMIT_KEY_PREFIX": f"helpline-2fa-{os.getpid()}-{tmp_path.name}",
        }

    def test_guessing_codes_hits_the_shared_login_limit(self, app, make_agent, login, clock):
        owner = make_agent(role="owner")
        setup = app.test_client()
        login(setup, owner)
        _enrol(setup, clock)
        client = app.test_client()
        assert client.post("/login", data={"email": owner.email, "password": PASSWORD}).status_code == 302
        answers = [client.post("/login/code", data={"code": f"{n:06d}"}).status_code for n in range(3)]
        assert answers == [200, 200, 429]
