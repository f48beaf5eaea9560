"""Helpers for the API tests: agents of each role with a Bearer token."""

import pytest

from app.auth import create_token


@pytest.fixture
def bearer(app):
    """``bearer(agent)`` -> headers with a fresh API token of that agent."""

    def make(agent):
        _, token = create_token(agent, "test")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def as_role(make_agent, bearer):
    """``as_role("manager")`` -> ``(agent, headers)``."""

    def make(role, **kwargs):
        # No password: argon2 hashing is deliberately slow, and tokens need none.
        kwargs.setdefault("password", None)
        agent = make_agent(role=role, **kwargs)
        return agent, bearer(agent)

    return make


@pytest.fixture
def support(as_role):
    return as_role("support")


@pytest.fixture
def ticket(fake_channel):
    """An open ticket with one customer message, on the fake channel."""
    return fake_channel.receive("Where is my order?", email="ana@example.net", name="Ana").ticket
