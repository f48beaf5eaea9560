"""What auto-close would do with a given period, before it is switched on.

Read-only. "Would close now" uses the sweep's own :func:`due_condition` on
the same index (one code path: what the preview counts is what the sweep
closes). "Per day over the last 30 days" counts the clocks that ran out in
that window: ``clock_armed`` activities (written when a reply is delivered)
whose period ended in the window with no customer message nor close (by
hand or otherwise) before it ended; one indexed range query on ``activity (action, created_at)`` joined to the
ticket's customer messages, so its cost follows the replies of 30 days, not
the size of the history."""

from __future__ import annotations

import datetime as dt

import peewee

from app.plugin import Activity, Message, Ticket, now

from .sweep import due_condition

HISTORY_DAYS = 30
SAMPLE_SIZE = 20


def preview(inactivity_days: int, typing_grace_minutes: int = 5, sample_size: int = SAMPLE_SIZE) -> dict:
    """``{"inactivity_days", "would_close_now", "per_day", "closed_last_30_days", "sample"}``
    for a period of ``inactivity_days``; ``sample`` lists up to
    ``sample_size`` of the tickets that would close now, longest waiting
    first (id, subject, channel, status, clock started)."""
    at = now()
    period = dt.timedelta(days=inactivity_days)
    condition = due_condition(at - period, at - dt.timedelta(minutes=typing_grace_minutes))
    would_close = Ticket.select().where(condition).count()
    sample = list(
        Ticket.select(Ticket.id, Ticket.subject, Ticket.channel, Ticket.status, Ticket.awaiting_customer_since)
        .where(condition)
        .order_by(Ticket.awaiting_customer_since, Ticket.id)
        .limit(sample_size)
        .dicts()
    )
    ran_out = _ran_out(at, period)
    return {
        "inactivity_days": inactivity_days,
        "would_close_now": would_close,
        "closed_last_30_days": ran_out,
        "per_day": round(ran_out / HISTORY_DAYS, 1),
        "sample": sample,
    }


def _ran_out(at, period):
    """Clocks whose period ended in the last 30 days before the customer
    wrote or the ticket was closed (ending exactly at the period counts, as
    in the sweep)."""
    start, end = at - dt.timedelta(days=HISTORY_DAYS) - period, at - period
    answered = peewee.fn.MIN(Message.created_at)
    Closed = Activity.alias()
    closed = peewee.fn.MIN(Closed.created_at)
    rows = (
        Activity.select(Activity.created_at, answered, closed)
        .join(
            Message,
            peewee.JOIN.LEFT_OUTER,
            on=(
                (Message.ticket == Activity.ticket)
                & (Message.direction == "inbound")
                & (Message.author_type == "customer")
                & (Message.created_at > Activity.created_at)
            ),
        )
        .switch(Activity)
        .join(
            Closed,
            peewee.JOIN.LEFT_OUTER,
            on=(
                (Closed.ticket == Activity.ticket)
                & (Closed.action == "closed")
                & (Closed.created_at > Activity.created_at)
            ),
        )
        .where((Activity.action == "clock_armed") & (Activity.created_at > start) & (Activity.created_at <= end))
        .group_by(Activity.id, Activity.created_at)
        .tuples()
    )
    count = 0
    for armed, *stops in rows:
        # SQLite hands an aggregate's datetime back as text.
        stops = [dt.datetime.fromisoformat(s) if isinstance(s, str) else s for s in stops]
        if all(stop is None or stop > armed + period for stop in stops):
            count += 1
    return count
