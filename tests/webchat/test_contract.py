"""The web chat channel passes the channel contract through its real
widget endpoints."""

import pytest

from app.testing.contracts import ChannelContract

from .conftest import SITE_KEY, Visitor


class TestWebchatChannel(ChannelContract):
    plugin_name = slug = "webchat"
    valid_settings = {
        "site_keys": [SITE_KEY],
        "allowed_origins": ["https://shop.example.com"],
        "timezone": "America/New_York",
        "followup_delay_minutes": 3,
        "schedule": {"mon": [{"open": "09:00", "close": "12:00"}, {"open": "13:00", "close": "17:30"}]},
        "closed_dates": ["2026-12-25"],
    }
    invalid_settings = {
        "timezone": "Mars/Olympus",
        "allowed_origins": ["shop.example.com/path"],
        "schedule": {"mon": [{"open": "18:00", "close": "09:00"}]},
        "color": "blue",
        "followup_delay_minutes": 0,
    }

    @pytest.fixture
    def channel_env(self, app, webchat):
        return {"visitors": {}}

    def send_inbound(self, env, client, conversation, text, external_id):
        visitor = env["visitors"].setdefault(conversation, Visitor(client, name="Ada", email=None))
        visitor.say(text, client_id=external_id)

    def sent_texts(self, env):
        return [m["text"] for v in env["visitors"].values() for m in v.messages() if m["from"] != "visitor"]
