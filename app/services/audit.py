"""The audit log: services record who changed what, when and from where
(settings, plugins on/off, agents and roles, API tokens, sessions ended,
two-factor); owners read it, newest first, with keyset pagination."""

from __future__ import annotations

import json

import peewee

from ..clock import now
from ..models import Agent, AuditEntry

MAX_PAGE = 200


def _origin():
    """The acting agent and client address of the current request, if any:
    set by the web layer (``app.security``) so services stay free of the
    request object."""
    from flask import g, has_app_context

    if not has_app_context():
        return None, ""
    return g.get("audit_actor"), g.get("client_ip", "")


def record(action, target="", details=None, actor=None):
    """Append one entry. ``actor`` defaults to the agent of the current
    request (None from the CLI or a task); ``details`` is a small JSON
    object and must not contain secret values."""
    request_actor, ip = _origin()
    actor = actor if actor is not None else request_actor
    return AuditEntry.create(
        at=now(),
        actor=actor.id if actor is not None else None,
        action=action[:64],
        target=str(target or "")[:200],
        details=json.dumps(details or {}, default=str, sort_keys=True),
        ip=(ip or "")[:64],
    )


def entries(limit=50, before_id=None):
    """A page of entries, newest first, with their actors in one query;
    ``before_id`` is the last id of the previous page."""
    limit = max(1, min(int(limit), MAX_PAGE))
    query = (
        AuditEntry.select(AuditEntry, Agent)
        .join(Agent, peewee.JOIN.LEFT_OUTER, on=(AuditEntry.actor == Agent.id))
        .order_by(AuditEntry.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = list(query)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def details_of(entry):
    """The entry's details as a dict."""
    try:
        return json.loads(entry.details or "{}")
    except ValueError:
        return {}
