"""What round-robin would do now, before it is switched on: who is online,
and how the Unassigned backlog would be spread. Read-only; it reads the
rotation with the rule's own :func:`online_load` and hands the backlog out
as :func:`assign_backlog` would (next in turn first, one each, within the
cap), in arithmetic rather than one claim per ticket, so it stays fast with
any backlog."""

from __future__ import annotations

from app.plugin import Ticket

from .rotation import online_load, settings


def waiting_count():
    """Open tickets with no assignee (the Unassigned view)."""
    return Ticket.select().where(Ticket.assignee.is_null() & (Ticket.status == "open")).count()


def spread(order, room, backlog):
    """``{agent_id: tickets}`` handing ``backlog`` tickets out one each in
    ``order``, skipping agents whose ``room`` (None: no limit) is used up."""
    gets = {agent_id: 0 for agent_id in order}
    if not order:
        return gets
    if all(room[a] is None for a in order):
        base, extra = divmod(backlog, len(order))
        return {a: base + (1 if i < extra else 0) for i, a in enumerate(order)}
    left = backlog
    while left:
        open_slots = [a for a in order if gets[a] < room[a]]
        if not open_slots:
            break
        for agent_id in open_slots[:left]:
            gets[agent_id] += 1
        left -= min(left, len(open_slots))
    return gets


def preview(config=None) -> dict:
    """``{"cap", "online": [{id, name, role, open_tickets, room}], "waiting",
    "spread": [{id, name, gets}], "left_waiting"}`` for the current settings."""
    config = config or settings()
    cap = config["max_open_per_agent"] or 0
    agents, load = online_load(config, count=True)
    room = {a.id: (max(cap - load.get(a.id, 0), 0) if cap else None) for a in agents}
    waiting = waiting_count()
    gets = spread([a.id for a in agents], room, waiting)
    return {
        "cap": cap,
        "online": [
            {"id": a.id, "name": a.name, "role": a.role, "open_tickets": load.get(a.id, 0), "room": room[a.id]}
            for a in agents
        ],
        "waiting": waiting,
        "spread": [{"id": a.id, "name": a.name, "gets": gets[a.id]} for a in agents],
        "left_waiting": waiting - sum(gets.values()),
    }
