"""The kit's channel contract, driven through real SMTP: customer mail is
sent with smtplib into the plugin's listener, replies land on an aiosmtpd
relay."""

import pytest
from email_kit import SUPPORT, body_text, make_mail, smtp_send

from app.models import Profile
from app.testing.contracts import ChannelContract


class TestEmailChannel(ChannelContract):
    plugin_name = slug = "email"
    valid_settings = {
        "support_addresses": [SUPPORT],
        "from_name": "Shop",
        "smtp_host": "smtp.example.net",
        "smtp_port": 465,
        "smtp_security": "ssl",
        "smtp_username": "shop",
        "smtp_password": "pw",
        "smtp_timeout": 20,
        "inbound_secret": "s",
        "max_message_bytes": 1024 * 1024,
        "max_attachment_bytes": 1024,
        "smtp_listen_host": "127.0.0.1",
        "smtp_listen_port": 2525,
        "reply_domain": "reply.shop.example",
    }
    invalid_settings = {
        "support_addresses": ["not an address"],
        "smtp_port": 0,
        "smtp_security": "tls",
        "smtp_timeout": 0,
        "max_message_bytes": 10,
        "max_attachment_bytes": 0,
        "smtp_listen_port": 70000,
        "reply_domain": "not a domain",
    }
    refusal_cases = [("profile without an email address", "remove_email", "no_email_address")]

    @pytest.fixture
    def channel_env(self, app, relay, listener):
        return {"relay": relay, "listener": listener, "threads": {}}

    def send_inbound(self, env, client, conversation, text, external_id):
        first = env["threads"].setdefault(conversation, f"<{external_id}@customer.example>")
        mid = f"<{external_id}@customer.example>"
        reply_to = first if first != mid else None
        mail = make_mail(
            text=text,
            subject=f"About {conversation}",
            message_id=mid,
            in_reply_to=reply_to,
            references=reply_to,
            sender=f"{conversation}@customer.example",
        )
        smtp_send(env["listener"], mail)

    def sent_texts(self, env):
        return [body_text(m["message"]) for m in env["relay"].messages]

    def remove_email(self, env, ticket):
        Profile.update(email=None).where(Profile.id == ticket.profile_id).execute()


def test_support_addresses_accept_a_form_string(app):
    plugins = app.extensions["helpline.plugins"]
    stored = plugins.set_settings("email", {"support_addresses": "Support@Shop.example, help@shop.example\n"})
    assert stored["support_addresses"] == ["support@shop.example", "help@shop.example"]
    assert stored["smtp_listen_host"] == "127.0.0.1" and stored["smtp_listen_port"] == 2525
