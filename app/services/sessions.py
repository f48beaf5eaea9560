"""Server-side login sessions (the ``agent_session`` table): started at
login, looked up on every request, ended by logout, "log out everywhere",
deactivation and password changes, and by the idle and absolute timeouts
(``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app

from ..clock import now
from ..models import Agent, AgentSession
from . import audit

# last_seen_at is written at most this often: a busy inbox polls and
# heartbeats constantly, and the idle timeout is counted in minutes.
TOUCH_SECONDS = 60


def _digest(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()


def idle_limit():
    return dt.timedelta(minutes=float(current_app.config["SESSION_IDLE_MINUTES"]))


def max_age():
    return dt.timedelta(hours=float(current_app.config["SESSION_MAX_HOURS"]))


def start(agent, ip="", user_agent=""):
    """A new session for ``agent``; returns the random id the cookie
    carries (only its digest is stored)."""
    session_id = secrets.token_urlsafe(32)
    at = now()
    purge_expired(agent)  # keeps each agent's rows bounded without a sweep task
    AgentSession.create(
        agent=agent,
        id_hash=_digest(session_id),
        created_at=at,
        last_seen_at=at,
        ip=(ip or "")[:64],
        user_agent=(user_agent or "")[:255],
    )
    return session_id


def resolve(session_id):
    """The active agent of a live session, or None (unknown, revoked,
    idle or too old: an expired row is deleted)."""
    if not session_id or not isinstance(session_id, str) or len(session_id) > 128:
        return None
    row = (
        AgentSession.select(AgentSession, Agent).join(Agent).where(AgentSession.id_hash == _digest(session_id)).first()
    )
    if row is None:
        return None
    at = now()
    if not row.agent.is_active or at - row.last_seen_at > idle_limit() or at - row.created_at > max_age():
        AgentSession.delete().where(AgentSession.id == row.id).execute()
        return None
    if (at - row.last_seen_at).total_seconds() > TOUCH_SECONDS:
        AgentSession.update(last_seen_at=at).where(AgentSession.id == row.id).execute()
    return row.agent


def end(session_id):
    """End one session (logout)."""
    if session_id:
        AgentSession.delete().where(AgentSession.id_hash == _digest(session_id)).execute()


def revoke_sessions(agent, except_current=False):
    """End every session of ``agent`` (deactivation, a password change,
    "log out everywhere"). ``except_current=True`` keeps the session making
    the current request, so an agent changing their own password stays
    logged in here. Returns how many sessions ended."""
    query = AgentSession.delete().where(AgentSession.agent == agent.id)
    current = current_session_id() if except_current else None
    if current:
        query = query.where(AgentSession.id != current)
    ended = query.execute()
    if ended:
        audit.record("sessions.revoked", target=agent.email, details={"sessions": ended, "kept_current": bool(current)})
    return ended


def current_session_id():
    """The ``agent_session`` row id of the request's own session, or None."""
    from flask import has_request_context, session

    sid = session.get("sid") if has_request_context() else None
    if not sid:
        return None
    row = AgentSession.select(AgentSession.id).where(AgentSession.id_hash == _digest(sid)).first()
    return row.id if row else None


def active_sessions(agent):
    """The agent's live sessions, newest first (for the settings page)."""
    at = now()
    return list(
        AgentSession.select()
        .where(
            (AgentSession.agent == agent.id)
            & (AgentSession.last_seen_at >= at - idle_limit())
            & (AgentSession.created_at >= at - max_age())
        )
        .order_by(AgentSession.created_at.desc(), AgentSession.id.desc())
    )


def purge_expired(agent=None):
    """Delete the rows of sessions past either timeout (of one agent, or
    all); returns the count."""
    at = now()
    query = AgentSession.delete().where(
        (AgentSession.last_seen_at < at - idle_limit()) | (AgentSession.created_at < at - max_age())
    )
    if agent is not None:
        query = query.where(AgentSession.agent == agent.id)
    return query.execute()
