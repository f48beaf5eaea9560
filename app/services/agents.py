"""Agents: accounts, passwords, presence (manual status + heartbeat)."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import is_postgres, write_transaction
from ..events import after_commit, fire, publish
from ..models import PRESENCE, ROLES, Activity, Agent, ApiToken, Message, ReadMarker, Ticket
from . import Conflict, Denied, ServiceError, audit
from .sessions import revoke_sessions

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
    agent = Agent.create(
        email=email,
        name=(name or email.split("@")[0]).strip()[:120],
        role=role,
        password_hash=hash_password(password) if password else "",
        timezone=timezone,
    )
    audit.record("agent.created", target=email, details={"role": role})
    return agent


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
    stale = list(
        Agent.select().where(
            (Agent.presence_effective != "offline")
            & ((Agent.heartbeat_at.is_null()) | (Agent.heartbeat_at < at - ttl()))
        )
    )
    for agent in stale:
        with write_transaction():
            changed = (
                Agent.update(presence_effective="offline")
                .where((Agent.id == agent.id) & (Agent.presence_effective == agent.presence_effective))
                .execute()
            )
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
    query = Agent.select().where(
        (Agent.is_active == True) & (Agent.presence_effective == "online") & (Agent.heartbeat_at >= at - ttl())
    )
    if roles:
        query = query.where(Agent.role.in_(list(roles)))
    return list(query)


# --- roles and deactivation (the API and the UI's agents page) --------------


def _active_owners():
    return Agent.select().where((Agent.role == "owner") & (Agent.is_active == True)).count()


def check_owner_rules(actor, target, new_role=None, deactivating=False):
    """Nobody changes their own role or deactivates or removes themselves;
    only an owner makes or changes an owner; the last active owner stays.
    ``target`` is None when creating an agent. Shared by the API and the UI."""
    if target is not None and target.id == actor.id:
        if deactivating or (new_role is not None and new_role != target.role):
            raise Denied(_("You cannot change your own role or deactivate yourself."), code="self_change", field="role")
    if new_role == "owner" and actor.role != "owner":
        raise Denied(_("Only an owner can make an owner."), code="owner_only", field="role")
    if target is not None and target.role == "owner" and actor.role != "owner":
        raise Denied(_("Only an owner can change an owner."), code="owner_only")
    losing_owner = (
        target is not None
        and target.role == "owner"
        and target.is_active
        and (deactivating or (new_role is not None and new_role != "owner"))
    )
    if losing_owner and _active_owners() <= 1:
        raise Conflict(_("This is the last owner; make someone else an owner first."), code="last_owner")


def _release(agent, actor=None):
    """A deactivated agent keeps nothing open: sessions ended, tokens
    revoked, open and snoozed tickets back to Unassigned. Each released
    ticket gets an "unassigned" activity entry saying why, and the assigned
    event fires after commit, so reports and rules see the change as they
    see any other unassignment."""
    from . import reasons

    at = now()
    revoke_sessions(agent)
    ApiToken.update(revoked_at=at).where((ApiToken.agent == agent.id) & ApiToken.revoked_at.is_null()).execute()
    held = Ticket.select(Ticket.id).where((Ticket.assignee == agent.id) & (Ticket.status != "closed"))
    ticket_ids = [t.id for t in held]
    if not ticket_ids:
        return
    Ticket.update(assignee=None, updated_at=at).where(Ticket.id.in_(ticket_ids)).execute()
    why = reasons.make(
        "agents",
        _("%(name)s was deactivated, so their open tickets went back to Unassigned.", name=agent.name),
        {"agent_id": agent.id},
        "web.settings_agents",
    )
    data = {"from": agent.id, "to": None, reasons.KEY: why}
    Activity.insert_many(
        [
            {
                "ticket": tid,
                "actor": actor.id if actor else None,
                "action": "unassigned",
                "data": data,
                "created_at": at,
            }
            for tid in ticket_ids
        ]
    ).execute()

    def announce():
        from .tickets import _event

        for ticket in Ticket.select().where(Ticket.id.in_(ticket_ids)):
            fire("helpline_on_ticket_assigned", ticket=ticket, old_assignee=agent, new_assignee=None, actor=actor)
            publish("ticket.updated", _event(ticket))

    after_commit(announce)


def update_agent(actor, target, changes):
    """Change name, role, time zone, active flag or password under the owner
    rules; deactivating releases the agent's tokens and open tickets."""
    with write_transaction():
        target = Agent.get_by_id(target.id)
        check_owner_rules(actor, target, new_role=changes.get("role"), deactivating=changes.get("is_active") is False)
        changed = {}
        for key in ("name", "role", "timezone", "is_active"):
            if key in changes and getattr(target, key) != changes[key]:
                changed[key] = [getattr(target, key), changes[key]]
                setattr(target, key, changes[key])
        if changes.get("is_active") is False:
            _release(target, actor)
        target.save()
        if changed:
            audit.record(_agent_action(changed), target=target.email, details=changed, actor=actor)
    if changes.get("password"):
        set_password(target, changes["password"])
        # Someone else set this password: whoever held the old one is out,
        # and so is an agent setting their own here, but for this browser.
        revoke_sessions(target, except_current=target.id == actor.id)
        audit.record("agent.password_set", target=target.email, actor=actor)
    return target


def _agent_action(changed):
    if "is_active" in changed:
        return "agent.reactivated" if changed["is_active"][1] else "agent.deactivated"
    if "role" in changed:
        return "agent.role_changed"
    return "agent.changed"


def _has_history(agent):
    return (
        Message.select().where(Message.author_agent == agent.id).exists()
        or Activity.select().where(Activity.actor == agent.id).exists()
        or Ticket.select().where(Ticket.assignee == agent.id).exists()
    )


def remove_agent(actor, target):
    """Delete an agent, or deactivate one with history (messages, ticket
    activity, assigned tickets) so the history keeps its author. Returns
    ``"deleted"`` or ``"deactivated"``."""
    with write_transaction():
        query = Agent.select().where(Agent.id == target.id)
        # On PostgreSQL, lock the agent's row before looking at their history:
        # a ticket being assigned to them (round-robin, a manager) holds a key
        # lock on it until it commits, and is then seen here. Unlocked, the
        # delete's cascade would unassign that ticket unseen (SQLite has one
        # writer at a time: write_transaction already queues behind it).
        target = (query.for_update() if is_postgres() else query).get()
        check_owner_rules(actor, target, deactivating=True)
        if _has_history(target):
            target.is_active = False
            _release(target, actor)
            target.save()
            audit.record("agent.deactivated", target=target.email, actor=actor)
            return "deactivated"
        # Their read markers first, in a statement of their own: the counter
        # triggers (migration 0015) then count them off against the tickets
        # as they are, not inside a cascade that changes tickets too.
        ReadMarker.delete().where(ReadMarker.agent == target.id).execute()
        target.delete_instance()
        audit.record("agent.deleted", target=target.email, actor=actor)
        return "deleted"
