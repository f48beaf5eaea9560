"""Round-robin assignment: who is next, and claiming a ticket for them.

Choose and claim happen in one write transaction under one lock (a
transaction-scoped advisory lock on PostgreSQL; SQLite's write lock, taken up
front by ``write_transaction``), so concurrent tickets see each other's
assignments: the rotation never hands two tickets to the same agent out of
turn, and the atomic ``claim`` (``UPDATE ... WHERE assignee IS NULL``) keeps a
ticket from being assigned twice.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee

from app.plugin import (
    DryRunEntry,
    Ticket,
    claim,
    db,
    dry_run,
    get_plugins,
    is_postgres,
    online_agents,
    write_transaction,
)

from .models import RoundRobinTurn
from .why import explain

log = logging.getLogger(__name__)

PLUGIN = "roundrobin"
LOCK_KEY = "helpline:roundrobin"
BACKLOG_BATCH = 100
_NEVER = dt.datetime.min


def settings():
    """The merchant's round-robin settings, defaults filled in."""
    return get_plugins().get_settings(PLUGIN)


def _lock():
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK_KEY,))


def online_load(config=None, count=False):
    """Online agents in the rotation's roles, next in turn first, and their
    open-ticket counts ``{agent_id: n}`` (counted with a cap or ``count``;
    else empty). Three queries, whatever the number of agents."""
    config = config or settings()
    agents = online_agents(config["roles"])
    if not agents:
        return [], {}
    ids = [a.id for a in agents]
    turns = dict(
        RoundRobinTurn.select(RoundRobinTurn.agent, RoundRobinTurn.turn).where(RoundRobinTurn.agent.in_(ids)).tuples()
    )
    load = {}
    if count or config["max_open_per_agent"]:
        load = dict(
            Ticket.select(Ticket.assignee, peewee.fn.COUNT(Ticket.id))
            .where(Ticket.assignee.in_(ids) & (Ticket.status == "open"))
            .group_by(Ticket.assignee)
            .tuples()
        )
    ordered = sorted(agents, key=lambda a: (a.last_assigned_at or _NEVER, turns.get(a.id, 0), a.id))
    return ordered, load


def rotation(config=None):
    """Eligible online agents, next in turn first: least recently assigned
    (``Agent.last_assigned_at``, never-assigned first), ties broken by the
    rotation counter, then by id. Agents at the open-ticket cap are left
    out."""
    config = config or settings()
    agents, load = online_load(config)
    cap = config["max_open_per_agent"]
    return [a for a in agents if not cap or load.get(a.id, 0) < cap]


NO_AGENT = "no_agent"


def assign_next(ticket_id, config=None):
    """Give an open, unassigned ticket to the next agent in turn. Returns
    the Agent, ``None`` when the ticket is no longer waiting (closed or
    claimed meanwhile), or ``NO_AGENT`` when nobody online can take it."""
    config = config or settings()
    with write_transaction():
        _lock()
        waiting = (
            Ticket.select(Ticket.id)
            .where((Ticket.id == ticket_id) & Ticket.assignee.is_null() & (Ticket.status == "open"))
            .exists()
        )
        if not waiting:
            return None
        candidates = rotation(config)
        if not candidates:
            return NO_AGENT
        agent = candidates[0]
        if not claim(ticket_id, agent, reason=explain(agent, candidates, config)):
            return None
        # The agent's counter becomes the highest plus one (one statement).
        Turn = RoundRobinTurn.alias()
        next_turn = Turn.select(peewee.fn.COALESCE(peewee.fn.MAX(Turn.turn), 0) + 1)
        (
            RoundRobinTurn.insert(agent=agent.id, turn=next_turn)
            .on_conflict(conflict_target=[RoundRobinTurn.agent], update={RoundRobinTurn.turn: peewee.EXCLUDED.turn})
            .execute()
        )
    return agent


def record_would_assign(ticket, config):
    """Dry run: record who would get ``ticket`` now, assigning nothing. The
    rotation moves on a virtual turn (the latest dry-run entry per agent)
    so the record shows the real rule's spread, not the same agent each
    time. Returns the agent or None."""
    candidates = rotation(config)
    if not candidates:
        return None
    recent = (
        DryRunEntry.select(DryRunEntry.id, DryRunEntry.data)
        .where(DryRunEntry.rule == PLUGIN)
        .order_by(DryRunEntry.id.desc())
        .limit(max(50, 5 * len(candidates)))
    )
    last_turn = {}
    for entry in recent:
        last_turn.setdefault(entry.data.get("agent_id"), entry.id)
    order = {a.id: i for i, a in enumerate(candidates)}
    agent = min(candidates, key=lambda a: (last_turn.get(a.id, 0), order[a.id]))
    dry_run.record(
        PLUGIN,
        "assign",
        [{"ticket": ticket.id, "data": {"agent_id": agent.id, "why": explain(agent, candidates, config)}}],
    )
    return agent


def assign_backlog(limit=1000):
    """Assign waiting Unassigned tickets, oldest first, while someone online
    can take them (fairness and the cap as for new tickets). Returns the
    ids assigned; at most ``limit`` per call."""
    config = settings()
    if config["dry_run"]:
        return []  # a dry run assigns nothing, backlog included
    assigned, after = [], (_NEVER, 0)
    while len(assigned) < limit:
        batch = list(
            Ticket.select(Ticket.created_at, Ticket.id)
            .where(
                Ticket.assignee.is_null()
                & (Ticket.status == "open")
                & (peewee.Tuple(Ticket.created_at, Ticket.id) > peewee.Tuple(*after))
            )
            .order_by(Ticket.created_at, Ticket.id)
            .limit(BACKLOG_BATCH)
            .tuples()
        )
        if not batch:
            break
        for created_at, ticket_id in batch:
            agent = assign_next(ticket_id, config)
            if agent == NO_AGENT:
                return assigned
            if agent is not None:
                assigned.append(ticket_id)
                if len(assigned) >= limit:
                    break
        after = batch[-1]
    if assigned:
        log.info("roundrobin assigned %d waiting tickets", len(assigned))
    return assigned
