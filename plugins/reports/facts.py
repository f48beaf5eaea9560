"""Ticket cycles computed from a ticket's history (its activity trail and
messages). One function serves the live event hooks and the rebuild, so
both always agree (docs/reports.md defines every field).

Nothing here writes: :mod:`.store` compares the result with the stored
facts and applies the difference."""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict

from app.plugin import Activity, Message, Ticket

from .models import NO_AGENT

# Automatic acknowledgements mark themselves in ``Message.meta``: the web
# chat greeting/away message (``webchat_auto``) and any plugin's ``automatic``.
AUTOMATIC_META_KEYS = ("webchat_auto", "automatic")


@dataclasses.dataclass(frozen=True)
class Cycle:
    cycle: int
    channel: str
    agent_key: int
    started_at: object
    start_day: object
    first_customer_at: object = None
    first_response_at: object = None
    responder_key: int | None = None
    frt_seconds: int | None = None
    frt_bh_seconds: int | None = None
    frt_day: object = None
    closed_at: object = None
    close_day: object = None
    closed_reason: str | None = None
    resolution_seconds: int | None = None
    resolution_bh_seconds: int | None = None
    tags: frozenset = frozenset()  # names here; ids once stored
    snoozes: tuple = ()  # ((start_day, end_day or None), ...)

    def row(self):
        """The columns of ``report_cycle``."""
        data = dataclasses.asdict(self)
        data.pop("tags")
        data.pop("snoozes")
        return data


@dataclasses.dataclass(frozen=True)
class Reply:
    message_id: int
    cycle: int
    agent_key: int
    channel: str
    day: object


@dataclasses.dataclass
class TicketFacts:
    cycles: list
    replies: list

    def __eq__(self, other):
        return sorted(self.cycles, key=lambda c: c.cycle) == sorted(other.cycles, key=lambda c: c.cycle) and sorted(
            self.replies, key=lambda r: r.message_id
        ) == sorted(other.replies, key=lambda r: r.message_id)


EMPTY = TicketFacts([], [])


def load_history(ticket_ids):
    """``{ticket_id: (ticket, [activity], [message])}`` in three queries,
    messages without their text."""
    ids = list(ticket_ids)
    tickets = {
        t.id: t
        for t in Ticket.select(
            Ticket.id,
            Ticket.channel,
            Ticket.status,
            Ticket.assignee,
            Ticket.created_at,
            Ticket.closed_at,
            Ticket.closed_reason,
        ).where(Ticket.id.in_(ids))
    }
    activities, messages = defaultdict(list), defaultdict(list)
    for a in (
        Activity.select(Activity.ticket, Activity.action, Activity.data, Activity.created_at, Activity.id)
        .where(Activity.ticket.in_(ids))
        .order_by(Activity.ticket, Activity.created_at, Activity.id)
    ):
        activities[a.ticket_id].append(a)
    for m in (
        Message.select(
            Message.id,
            Message.ticket,
            Message.direction,
            Message.kind,
            Message.author_type,
            Message.author_agent,
            Message.delivery_state,
            Message.meta,
            Message.created_at,
        )
        .where(Message.ticket.in_(ids))
        .order_by(Message.ticket, Message.created_at, Message.id)
    ):
        messages[m.ticket_id].append(m)
    return {tid: (t, activities[tid], messages[tid]) for tid, t in tickets.items()}


def is_customer_message(m):
    return m.direction == "inbound" and m.author_type == "customer"


def is_agent_reply(m):
    """A public reply by a person on the team, delivered, not automatic."""
    meta = m.meta or {}
    return (
        m.direction == "outbound"
        and m.kind == "message"
        and m.author_type == "agent"
        and m.delivery_state == "sent"
        and not any(meta.get(k) for k in AUTOMATIC_META_KEYS)
    )


def _key(agent_id):
    return agent_id if agent_id else NO_AGENT


class _Open:
    """A cycle being walked through the history."""

    def __init__(self, number, started_at):
        self.number = number
        self.started_at = started_at
        self.closed_at = None
        self.reason = None
        self.assignee = None
        self.tags = frozenset()
        self.snoozes = []  # [start, end or None] instants


def compute(ticket, activities, messages, config):
    """The cycles and replies of one ticket (see the module docstring)."""
    assigned_in_history = any(a.action in ("assigned", "unassigned") for a in activities)
    assignee = None if assigned_in_history else ticket.assignee_id
    tags = set()
    status = "open"
    cycles = [_Open(1, ticket.created_at)]
    for a in activities:
        data = a.data if isinstance(a.data, dict) else {}
        current = cycles[-1]
        if a.action == "assigned":
            assignee = data.get("to")
        elif a.action == "unassigned":
            assignee = None
        elif a.action == "tagged":
            tags |= set(data.get("added") or ())
            tags -= set(data.get("removed") or ())
        elif a.action == "closed" and status != "closed":
            if status == "snoozed":
                current.snoozes[-1][1] = a.created_at
            current.closed_at, current.reason = a.created_at, data.get("reason") or "agent"
            current.assignee, current.tags = assignee, frozenset(tags)
            status = "closed"
        elif a.action in ("reopened", "opened") and status == "closed":
            cycles.append(_Open(len(cycles) + 1, a.created_at))
            status = "open"
        elif a.action == "opened" and status == "snoozed":
            current.snoozes[-1][1] = a.created_at
            status = "open"
        elif a.action == "snoozed" and status == "open":
            current.snoozes.append([a.created_at, None])
            status = "snoozed"
    last = cycles[-1]
    if status != "closed" and ticket.status == "closed" and ticket.closed_at is not None:
        # Closed without an audit row (imported data): trust the ticket.
        if status == "snoozed":
            last.snoozes[-1][1] = ticket.closed_at
        last.closed_at, last.reason = ticket.closed_at, ticket.closed_reason or "agent"
        last.assignee, last.tags = assignee, frozenset(tags)
    elif last.closed_at is None:
        # The open cycle carries the ticket's assignee and tags as they are now.
        last.assignee, last.tags = ticket.assignee_id, frozenset(tags)

    # A message belongs to the latest cycle started at or before it.
    by_cycle = defaultdict(list)
    starts = [c.started_at for c in cycles]
    for m in messages:
        by_cycle[max(bisect.bisect_right(starts, m.created_at) - 1, 0)].append(m)

    out, replies = [], []
    for i, c in enumerate(cycles):
        msgs = by_cycle.get(i, [])
        first_customer = first_response = responder = None
        for m in msgs:
            if c.closed_at is not None and m.created_at > c.closed_at:
                break
            if first_customer is None:
                if is_customer_message(m):
                    first_customer = m.created_at
            elif is_agent_reply(m):
                first_response, responder = m.created_at, m.author_agent_id
                break
        fields = {}
        if first_response is not None:
            fields.update(
                first_response_at=first_response,
                responder_key=_key(responder),
                frt_seconds=int((first_response - first_customer).total_seconds()),
                frt_bh_seconds=config.business(first_customer, first_response),
                frt_day=config.day(first_response),
            )
        if c.closed_at is not None:
            fields.update(
                closed_at=c.closed_at,
                close_day=config.day(c.closed_at),
                closed_reason=c.reason[:32],
                resolution_seconds=int((c.closed_at - c.started_at).total_seconds()),
                resolution_bh_seconds=config.business(c.started_at, c.closed_at),
            )
        out.append(
            Cycle(
                cycle=c.number,
                channel=ticket.channel,
                agent_key=_key(c.assignee),
                started_at=c.started_at,
                start_day=config.day(c.started_at),
                first_customer_at=first_customer,
                tags=frozenset(t[:64] for t in c.tags),
                snoozes=tuple((config.day(s), config.day(e) if e is not None else None) for s, e in c.snoozes),
                **fields,
            )
        )
        for m in msgs:
            if is_agent_reply(m):
                replies.append(Reply(m.id, c.number, _key(m.author_agent_id), ticket.channel, config.day(m.created_at)))
    return TicketFacts(out, replies)
