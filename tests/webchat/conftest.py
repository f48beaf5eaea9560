"""Fixtures for the web chat tests: the plugin configured with a site key,
a visitor API helper, and follow-up email through the kit's real SMTP server
(``email_sender``); browsers and streams use the kit's ``live_server``."""

import time

import pytest

SITE_KEY = "wc_test_site_key_0123456789"
STOREFRONT = "http://shop.example.test"


@pytest.fixture
def helpline_config():
    # Streams notice a closed connection at the next keepalive: keep it short.
    return {"WEBCHAT_KEEPALIVE_SECONDS": 0.5, "WEBCHAT_STREAM_SECONDS": 60}


@pytest.fixture
def webchat(app):
    """The web chat plugin with a known site key and allowed origin; open
    around the clock unless a test sets its own schedule."""
    plugins = app.extensions["helpline.plugins"]
    always = {d: [{"open": "00:00", "close": "24:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    plugins.set_settings(
        "webchat", {"site_keys": [SITE_KEY], "allowed_origins": [STOREFRONT], "schedule": always, "auto_replies": False}
    )
    return plugins


class Visitor:
    """A widget's calls through the Flask test client."""

    def __init__(self, client, name="", email=None, visitor_id=None):
        self.client = client
        self.name, self.email = name, email
        # What the widget keeps in the browser's storage; None: the server picks one.
        self.visitor_id = visitor_id
        self.cid = self.token = None
        self._n = 0

    def start(self):
        r = self.client.post(
            "/api/v1/webchat/conversations",
            json={"key": SITE_KEY, "name": self.name, "email": self.email, "visitor_id": self.visitor_id},
        )
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        self.cid, self.token, self.visitor_id = body["conversation_id"], body["token"], body["visitor_id"]
        return body

    def headers(self):
        return {"X-Webchat-Token": self.token}

    def say(self, text, client_id=None):
        if self.cid is None:
            self.start()
        self._n += 1
        r = self.client.post(
            f"/api/v1/webchat/conversations/{self.cid}/messages",
            headers=self.headers(),
            json={"client_id": client_id or f"m{self._n}", "text": text},
        )
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        if body["conversation_id"] != self.cid:
            self.cid, self.token = body["conversation_id"], body["token"]
        return body

    def messages(self, after=0):
        r = self.client.get(f"/api/v1/webchat/conversations/{self.cid}/messages?after={after}", headers=self.headers())
        assert r.status_code == 200, r.get_json()
        return r.get_json()["messages"]

    def heartbeat(self, last_seen_id=0):
        r = self.client.post(
            f"/api/v1/webchat/conversations/{self.cid}/heartbeat",
            headers=self.headers(),
            json={"last_seen_id": last_seen_id},
        )
        assert r.status_code == 204
        return r


def wait_for(predicate, seconds=10):
    """Poll until another thread's work is visible (not waiting for time to
    pass); returns the predicate's first truthy value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


@pytest.fixture
def visitor(client, webchat):
    return lambda name="", email=None, visitor_id=None: Visitor(client, name, email, visitor_id)


@pytest.fixture
def smtp(email_sender):
    """Follow-up email goes to a real SMTP server (the kit's ``smtp_sink``)."""
    return email_sender
