"""Assigning tickets: atomic claims and the ``helpline_choose_assignee``
decision hook."""

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Agent, Ticket
from ..plugins import hook
from .reasons import KEY


def claim(ticket_id, agent, actor=None, reason=None):
    """Assign an unassigned ticket to ``agent`` only if nobody claimed it
    meanwhile (``UPDATE ... WHERE assignee IS NULL``). Returns True if won.
    ``reason`` (a rule's :func:`app.services.reasons.make`) is kept on the
    activity entry, so the ticket says why it was assigned."""
    at = now()
    with write_transaction():
        won = (
            Ticket.update(assignee=agent, updated_at=at)
            .where((Ticket.id == ticket_id) & (Ticket.assignee.is_null()))
            .execute()
        ) == 1
        if not won:
            return False
        Agent.update(last_assigned_at=at).where(Agent.id == agent.id).execute()
        data = {"to": agent.id, "by": "rule" if actor is None else "agent"}
        if reason:
            data[KEY] = reason
        Activity.create(ticket=ticket_id, actor=actor, action="assigned", data=data, created_at=at)

        def announce():
            ticket = Ticket.get_by_id(ticket_id)
            fire("helpline_on_ticket_assigned", ticket=ticket, old_assignee=None, new_assignee=agent, actor=actor)
            publish(
                "ticket.updated",
                {"ticket_id": ticket.id, "status": ticket.status, "assignee_id": agent.id, "channel": ticket.channel},
            )

        after_commit(announce)
    return True


def auto_assign(ticket):
    """Ask the enabled plugins who should get an unassigned ticket, and claim
    it for them. Returns the agent, or None when it stays unassigned."""
    if ticket.assignee_id is not None:
        return None
    agent = hook().helpline_choose_assignee(ticket=ticket)
    if agent is None:
        return None
    return agent if claim(ticket.id, agent) else None
