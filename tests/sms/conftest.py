"""Fixtures for the SMS plugin tests (helpers in sms_kit.py)."""

import pytest
from sms_kit import FakeTwilio, SmsKit


@pytest.fixture
def twilio():
    """A local fake of Twilio's REST API on 127.0.0.1:0."""
    fake = FakeTwilio()
    yield fake
    fake.close()


@pytest.fixture
def sms(app, client, twilio):
    """The SMS plugin configured against the local fake Twilio API."""
    kit = SmsKit(app, client, twilio)
    kit.configure()
    return kit
