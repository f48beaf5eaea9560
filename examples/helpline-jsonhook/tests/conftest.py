"""Fixtures for the JSON webhook channel's tests. Everything comes from
Helpline's test kit (the ``helpline`` pytest plugin, ``app.testing``):
``app``, ``client``, ``clock``, ``fake_provider``, ``retry_outbox``..."""

import json

import pytest
from app.plugin import get_plugins

from helpline_jsonhook import signing

SECRET = "a-shared-secret-of-some-length"


class Jsonhook:
    """The channel switched on and pointed at the fake provider."""

    def __init__(self, client, provider):
        self.client = client
        self.provider = provider
        self.secret = SECRET

    def configure(self, **settings):
        return get_plugins().set_settings("jsonhook", settings)

    def post(self, payload, secret=SECRET, signature=None, raw=None):
        """POST an inbound webhook, signed with ``secret`` unless a
        ``signature`` (or raw body) is given."""
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        header = signature if signature is not None else signing.sign(secret, body)
        if header:
            headers[signing.HEADER] = header
        return self.client.post("/jsonhook/inbound", data=body, headers=headers)

    def message(self, text="Where is my parcel?", message_id="m-1", conversation="c-1", **sender):
        """An inbound webhook body."""
        return {
            "message_id": message_id,
            "conversation_id": conversation,
            "sender": {"id": f"user-{conversation}", "name": "Pat Buyer", **sender},
            "text": text,
        }


@pytest.fixture
def jsonhook(app, client, fake_provider):
    plugins = get_plugins()
    plugins.set_settings(
        "jsonhook", {"secret": SECRET, "provider_url": f"{fake_provider.url}/messages", "timeout_seconds": 2}
    )
    plugins.set_enabled("jsonhook", True)
    return Jsonhook(client, fake_provider)
