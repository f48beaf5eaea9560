"""The channel contract every Helpline channel proves, run against the
JSON webhook channel's real entry points and a fake provider."""

import pytest
from app.plugin import get_plugins
from app.testing import ChannelContract


class TestJsonHookChannel(ChannelContract):
    plugin_name = slug = "jsonhook"
    valid_settings = {"secret": "s" * 20, "provider_url": "https://provider.example/messages"}
    invalid_settings = {"secret": "short", "provider_url": "ftp://provider.example", "timeout_seconds": 0}
    refusal_cases = [("no provider URL", "forget_provider", "jsonhook_not_configured")]

    @pytest.fixture
    def channel_env(self, jsonhook):
        return jsonhook

    def send_inbound(self, env, client, conversation, text, external_id):
        answer = env.post(env.message(text=text, message_id=external_id, conversation=conversation))
        assert answer.status_code == 200, answer.get_json()

    def sent_texts(self, env):
        return [request.json["text"] for request in env.provider.requests]

    def forget_provider(self, env, ticket):
        get_plugins().set_settings("jsonhook", {"provider_url": ""})
