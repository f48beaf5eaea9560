"""The SMS channel passes the channel contract every channel plugin must pass."""

import hashlib

import pytest
from sms_kit import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER

from app.models import Profile
from app.testing.contracts import ChannelContract


def _phone(conversation):
    digits = int(hashlib.sha1(conversation.encode()).hexdigest(), 16) % 10_000
    return f"+1555200{digits:04d}"


def _sid(external_id):
    return "SM" + hashlib.md5(external_id.encode()).hexdigest()


class TestSmsChannel(ChannelContract):
    plugin_name = slug = "sms"
    valid_settings = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": OUR_NUMBER,
        "public_url": "https://help.example.com",
        "attribution_window_hours": 48,
        "stop_keywords": ["STOP", "ARRET"],
    }
    invalid_settings = {
        "account_sid": "AC123",
        "from_number": "+1",
        "attribution_window_hours": 0,
        "email_alert_recipients": ["not-an-address"],
        "api_base_url": "ftp://x",
    }
    refusal_cases = [
        ("profile without SMS consent", "remove_consent", "sms_no_consent"),
        ("alphanumeric sender id", "use_alphanumeric_sender", "sms_alphanumeric_sender"),
    ]

    @pytest.fixture
    def channel_env(self, sms):
        return sms

    def send_inbound(self, env, client, conversation, text, external_id):
        response = env.inbound(text, sid=_sid(external_id), phone=_phone(conversation))
        assert response.status_code == 200, response.get_data(as_text=True)

    def sent_texts(self, env):
        return [form["Body"] for form in env.twilio.sent]

    def allow_reply(self, env, ticket):
        Profile.update(sms_consent="transactional").where(Profile.id == ticket.profile_id).execute()

    def remove_consent(self, env, ticket):
        Profile.update(sms_consent=None).where(Profile.id == ticket.profile_id).execute()

    def use_alphanumeric_sender(self, env, ticket):
        self.allow_reply(env, ticket)
        env.configure(from_number="ACME")
