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


@pytest.fixture
def new_agent(app):
    """``new_agent(role="support")``: an agent without a password (API
    tokens and test sessions need none, and password hashing is slow)."""
    from itertools import count

    from app.services.agents import create_agent
    numbers = count(1)

    def make(role="support"):
        n = next(numbers)
        return create_agent(f"{role}{n}@shop.example", f"{role.title()} {n}", role)
    return make
