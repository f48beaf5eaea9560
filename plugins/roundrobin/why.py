"""The reason round-robin gives for each assignment: who was online and
could take it, and why this agent was next."""

from __future__ import annotations

from flask_babel import gettext as _

from app.plugin import make_reason


def explain(agent, candidates, config) -> dict:
    """The reason for giving a ticket to ``agent``, first of ``candidates``
    (online agents with room, next in turn first)."""
    cap = config["max_open_per_agent"] or 0
    return make_reason(
        "roundrobin",
        _(
            "Round-robin: %(name)s was online and least recently assigned among %(n)d agents who could take it.",
            name=agent.name,
            n=len(candidates),
        ),
        {
            "agent_id": agent.id,
            "agent": agent.name,
            "previously_assigned_at": agent.last_assigned_at,
            "candidates": [a.name for a in candidates],
            "roles": list(config["roles"]),
            "cap": cap,
        },
        "roundrobin.settings_page",
    )
