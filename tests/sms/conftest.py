"""Fixtures for the SMS plugin tests (helpers in sms_kit.py)."""

import pytest
from sms_kit import SmsKit, TwilioFake


@pytest.fixture
def twilio(fake_provider):
    """Twilio's REST API: the kit's fake provider answering as Twilio does."""
    return TwilioFake(fake_provider)


@pytest.fixture
def sms(app, client, twilio):
    """The SMS plugin configured against the local fake Twilio API."""
    kit = SmsKit(app, client, twilio)
    kit.configure()
    return kit
