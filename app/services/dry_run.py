"""Dry-run mode for rules: a rule that is watched, not trusted yet, records
what it would have done (``rule_dry_run``) instead of changing tickets; its
settings page lists the entries and counts per day."""

from __future__ import annotations

import datetime as dt

import peewee

from ..clock import now
from ..models import DryRunEntry, Ticket

DAYS_SHOWN = 30


def record(rule: str, action: str, entries) -> int:
    """Record ``entries`` (``{"ticket", "key", "data"}`` dicts) for ``rule``
    in one statement; an entry already recorded (same ticket, action and
    key) is kept as it was. Returns how many were offered."""
    at = now()
    rows = [
        {
            "rule": rule,
            "ticket": e["ticket"],
            "action": action,
            "key": str(e.get("key", ""))[:64],
            "data": e.get("data", {}),
            "day": at.date(),
            "created_at": at,
        }
        for e in entries
    ]
    if rows:
        DryRunEntry.insert_many(rows).on_conflict_ignore().execute()
    return len(rows)


def per_day(rule: str, days: int = DAYS_SHOWN) -> list[tuple[dt.date, int]]:
    """``[(day, count)]`` of the last ``days`` days with entries, newest first."""
    since = now().date() - dt.timedelta(days=days - 1)
    rows = (
        DryRunEntry.select(DryRunEntry.day, peewee.fn.COUNT(DryRunEntry.id))
        .where((DryRunEntry.rule == rule) & (DryRunEntry.day >= since))
        .group_by(DryRunEntry.day)
        .order_by(DryRunEntry.day.desc())
        .tuples()
    )
    return [(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)), n) for d, n in rows]


def recent(rule: str, limit: int = 20) -> list[dict]:
    """The latest entries with their ticket's subject and current status."""
    rows = (
        DryRunEntry.select(DryRunEntry, Ticket.id, Ticket.subject, Ticket.status)
        .join(Ticket)
        .where(DryRunEntry.rule == rule)
        .order_by(DryRunEntry.id.desc())
        .limit(limit)
    )
    return [
        {
            "ticket_id": r.ticket_id,
            "subject": r.ticket.subject,
            "status_now": r.ticket.status,
            "action": r.action,
            "data": r.data,
            "created_at": r.created_at,
        }
        for r in rows
    ]
