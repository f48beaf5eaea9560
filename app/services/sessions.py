"""Server-side login sessions (the ``agent_session`` table): started at
login, looked up on every request, ended by logout, "log out everywhere",
deactivation and password changes, and by the idle and absolute timeouts
(``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``). The records live in the
store ``SESSION_URL`` selects (:mod:`app.services.session_store`): the
database by default, Redis at scale; the rules here are the same for both."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app

from ..clock import now
from ..models import Agent
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


def _store():
    return current_app.extensions["helpline.sessions"]


def start(agent, ip="", user_agent=""):
    """A new session for ``agent``; returns the random id the cookie
    carries (only its digest is stored)."""
    session_id = secrets.token_urlsafe(32)
    purge_expired(agent)  # keeps each agent's records bounded without a sweep task
    _store().create(agent.id, _digest(session_id), now(), (ip or "")[:64], (user_agent or "")[:255], max_age())
    return session_id


def resolve(session_id):
    """The active agent of a live session, or None (unknown, revoked,
    idle or too old: an expired session is deleted)."""
    if not session_id or not isinstance(session_id, str) or len(session_id) > 128:
        return None
    store = _store()
    record = store.get(_digest(session_id))
    if record is None:
        return None
    agent = record.agent or Agent.get_or_none(Agent.id == record.agent_id)
    at = now()
    if (
        agent is None
        or not agent.is_active
        or at - record.last_seen_at > idle_limit()
        or at - record.created_at > max_age()
    ):
        store.delete(record.id_hash)
        return None
    if (at - record.last_seen_at).total_seconds() > TOUCH_SECONDS:
        store.touch(record, at)
    return agent


def end(session_id):
    """End one session (logout)."""
    if session_id:
        _store().delete(_digest(session_id))


def revoke_sessions(agent, except_current=False):
    """End every session of ``agent`` (deactivation, a password change,
    "log out everywhere"). ``except_current=True`` keeps the session making
    the current request, so an agent changing their own password stays
    logged in here. Returns how many sessions ended."""
    keep = _current_hash() if except_current else None
    if keep and (record := _store().get(keep)) is not None and record.agent_id != agent.id:
        keep = None  # the current session is someone else's: it is not among these
    ended = _store().delete_agent(agent.id, keep_hash=keep)
    if ended:
        audit.record("sessions.revoked", target=agent.email, details={"sessions": ended, "kept_current": bool(keep)})
    return ended


def _current_hash():
    from flask import has_request_context, session

    sid = session.get("sid") if has_request_context() else None
    return _digest(sid) if sid and isinstance(sid, str) else None


def current_session_id():
    """The id of the request's own session (as the sessions list shows
    it), or None."""
    digest = _current_hash()
    record = _store().get(digest) if digest else None
    return record.id if record else None


def active_sessions(agent):
    """The agent's live sessions, newest first (for the settings page):
    :class:`~app.services.session_store.SessionRecord` items."""
    at = now()
    live = [
        r
        for r in _store().list_agent(agent.id)
        if r.last_seen_at >= at - idle_limit() and r.created_at >= at - max_age()
    ]
    return sorted(live, key=lambda r: (r.created_at, r.id), reverse=True)


def purge_expired(agent=None):
    """Delete the sessions past either timeout (of one agent, or all);
    returns the count."""
    at = now()
    return _store().purge(agent.id if agent is not None else None, at - idle_limit(), at - max_age())
