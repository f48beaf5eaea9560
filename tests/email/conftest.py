"""Fixtures for the email plugin: a real aiosmtpd relay (the merchant's
outbound SMTP server) and the plugin's own SMTP listener, both on
127.0.0.1 with ephemeral ports."""

import pytest
from email_kit import SECRET, SUPPORT, RelayHandler

from plugins.email.smtp_server import ListenerController, start_listener


@pytest.fixture
def helpline_config(tmp_path):
    return {"ATTACHMENTS_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def relay():
    handler = RelayHandler()
    controller = ListenerController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def email_settings(app, relay):
    """The plugin configured to send through the relay."""
    plugins = app.extensions["helpline.plugins"]
    return plugins.set_settings(
        "email",
        {
            "support_addresses": [SUPPORT],
            "from_name": "Shop Support",
            "smtp_host": "127.0.0.1",
            "smtp_port": relay.port,
            "smtp_security": "none",
            "smtp_timeout": 5,
            "inbound_secret": SECRET,
            "max_message_bytes": 512 * 1024,
            "max_attachment_bytes": 64 * 1024,
        },
    )


@pytest.fixture
def listener(app, email_settings):
    """The plugin's SMTP listener on an ephemeral port."""
    controller = start_listener(app, host="127.0.0.1", port=0)
    yield controller
    controller.stop()
