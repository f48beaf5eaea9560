"""Fixtures for the macros plugin tests: tickets from a fake channel and an
SMS-like channel that refuses replies to profiles without SMS consent."""

import pytest

from app.models import Profile
from app.registry import Refusal
from app.testing.fake import FakeChannelPlugin


@pytest.fixture
def as_agent(client, login):
    """``as_agent(agent)``: the test client, logged in as ``agent``."""

    def use(agent):
        return login(client, agent)

    return use


@pytest.fixture
def ticket(fake_channel):
    """An open ticket from Ada Lovelace on the fake channel."""
    return fake_channel.receive("Where is my order?", name="Ada Lovelace", email="ada@example.net").ticket


class ConsentSmsPlugin(FakeChannelPlugin):
    """An SMS-like channel: one ticket per phone number, and replies refused
    to profiles without marketing or transactional SMS consent."""

    def __init__(self):
        super().__init__(slug="fakesms")
        base = self.channel_class

        class ConsentChannel(base):
            label = "Fake SMS"

            def can_reply(self, ticket):
                profile = Profile.get_by_id(ticket.profile_id)
                if profile.sms_consent not in ("marketing", "transactional"):
                    return Refusal("no_sms_consent", "This customer has not agreed to receive SMS.")
                return None

        ConsentChannel.slug = "fakesms"
        self.channel_class = ConsentChannel

    def receive_from(self, phone, text="Hi", consent="transactional"):
        result = self.receive(text, phone=phone)
        Profile.update(sms_consent=consent).where(Profile.id == result.ticket.profile_id).execute()
        return result.ticket


@pytest.fixture
def sms_channel(register_plugin):
    return register_plugin(ConsentSmsPlugin(), "fake-sms")


@pytest.fixture
def make_macro():
    """``make_macro(owner, name, body="", actions=(), shared=False)`` via the service."""
    from plugins.macros import service

    def make(owner, name="Thanks", body="", actions=(), shared=False):
        return service.create(owner, name, body, list(actions), shared)

    return make
