"""Small builders for test data, using the real services."""

import itertools

from ..models import Agent, Profile

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def agent(role="support", name=None, email=None, password=PASSWORD, presence=None):
    from ..services.agents import create_agent, set_presence

    n = next(_seq)
    made = create_agent(email or f"agent{n}@example.com", name or f"Agent {n}", role, password)
    if presence:
        made = set_presence(made, presence)
    return made


def profile(**fields):
    n = next(_seq)
    fields.setdefault("name", f"Customer {n}")
    fields.setdefault("email", f"customer{n}@example.net")
    return Profile.create(**fields)


def refresh(instance):
    return type(instance).get_by_id(instance.id)


__all__ = ["agent", "profile", "refresh", "Agent", "PASSWORD"]
