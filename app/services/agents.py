"""Agents: accounts, passwords, presence (manual status + heartbeat)."""
from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import PRESENCE, ROLES, Agent
from . import ServiceError

_hasher = PasswordHasher()
# Test suites set PASSWORD_HASH_COST="low": the same algorithm, cheap
# parameters, so hundreds of test agents don't cost minutes.
_low_cost_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
MIN_PASSWORD = 8


def _current_hasher():
    return _low_cost_hasher if current_app.config.get("PASSWORD_HASH_COST") == "low" else _hasher


def hash_password(password):
    return _current_hasher().hash(password)


def check_password(agent, password):
    if not agent or not agent.password_hash or not password:
        return False
    try:
        return _hasher.verify(agent.password_hash, password)  # parameters are read from the hash
    except (VerificationError, InvalidHashError):
        return False


def create_agent(email, name, role="support", password=None, timezone="UTC"):
    email = (email or "").strip().lower()
    if "@" not in email:
        raise ServiceError(_("Enter a valid email address."), field="email")
    if role not in ROLES:
        raise ServiceError(_("Unknown role %(role)s.", role=role), field="role")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ServiceError(_("Passwords are at least %(n)d characters.", n=MIN_PASSWORD), field="password")
    if Agent.select().where(Agent.email == email).exists():
        raise ServiceError(_("An agent with this email already exists."), code="exists", field="email")
    return Agent.create(email=email, name=(name or email.split("@")[0]).strip()[:120], role=role,
                        password_hash=hash_password(password) if password else "", timezone=timezone)


def set_password(agent, password):
    if len(password or "") < MIN_PASSWORD:
        raise ServiceError(_("Passwords are at least %(n)d characters.", n=MIN_PASSWORD), field="password")
    agent.password_hash = hash_password(password)
    agent.save()


def ttl():
    return dt.timedelta(seconds=current_app.config["PRESENCE_TTL_SECONDS"])


def _effective(agent, at):
    fresh = agent.heartbeat_at is not None and agent.heartbeat_at >= at - ttl()
    return agent.presence if fresh else "offline"


def set_presence(agent, presence=None, heartbeat=True):
    """Record the agent's chosen status and/or a heartbeat; fires
    ``helpline_on_agent_presence_changed`` when what others see changes."""
    if presence is not None and presence not in PRESENCE:
        raise ServiceError(_("Presence is online, away or offline."), field="presence")
    at = now()
    with write_transaction():
        agent = Agent.get_by_id(agent.id)
        old = agent.presence_effective
        if presence is not None:
            agent.presence = presence
        if heartbeat:
            agent.heartbeat_at = at
        new = _effective(agent, at)
        agent.presence_effective = new
        agent.save()
        if old != new:
            def announce():
                fire("helpline_on_agent_presence_changed", agent=agent, old_presence=old, new_presence=new)
                publish("presence", {"agent_id": agent.id, "presence": new})
            after_commit(announce)
    return agent


def expire_presence():
    """Agents whose heartbeat lapsed become offline. Returns their ids."""
    at = now()
    stale = list(Agent.select().where((Agent.presence_effective != "offline")
                                      & ((Agent.heartbeat_at.is_null()) | (Agent.heartbeat_at < at - ttl()))))
    for agent in stale:
        with write_transaction():
            changed = (Agent.update(presence_effective="offline")
                       .where((Agent.id == agent.id) & (Agent.presence_effective == agent.presence_effective))
                       .execute())
            if changed:
                old = agent.presence_effective

                def announce(agent=agent, old=old):
                    agent.presence_effective = "offline"
                    fire("helpline_on_agent_presence_changed", agent=agent, old_presence=old, new_presence="offline")
                    publish("presence", {"agent_id": agent.id, "presence": "offline"})
                after_commit(announce)
    return [a.id for a in stale]


def online_agents(roles=None):
    """Agents others currently see online, with a fresh heartbeat."""
    at = now()
    query = Agent.select().where((Agent.is_active == True) & (Agent.presence_effective == "online")  # noqa: E712
                                 & (Agent.heartbeat_at >= at - ttl()))
    if roles:
        query = query.where(Agent.role.in_(list(roles)))
    return list(query)
