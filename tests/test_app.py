"""Application set-up: configuration from the environment, proxies."""

from flask import request

from app import create_app


def _app(app, **config):
    base = {k: app.config[k] for k in ("TESTING", "SECRET_KEY", "DATABASE_URL", "HUEY_IMMEDIATE", "CLOCK")}
    made = create_app({**base, **config})

    @made.get("/whoami")
    def whoami():
        return request.remote_addr

    return made


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(app):
    behind = _app(app, PROXY_HOPS=1).test_client()
    assert behind.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"203.0.113.9"


def test_without_proxy_hops_forwarding_headers_are_not_trusted(app):
    direct = _app(app).test_client()
    assert direct.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"}).data == b"127.0.0.1"


def test_environment_overrides_defaults(app, monkeypatch):
    monkeypatch.setenv("HELPLINE_OUTBOX_MAX_ATTEMPTS", "9")
    monkeypatch.setenv("HELPLINE_DISABLED_PLUGINS", "macros")
    made = _app(app)
    assert made.config["OUTBOX_MAX_ATTEMPTS"] == 9
    assert made.extensions["helpline.plugins"].infos["macros"].status == "blocked"
