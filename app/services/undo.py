"""Undoing an automatic close or assignment (a rule's action that carries a
reason, see :mod:`app.services.reasons`) within a window.

- An automatic **close** is undone by putting the ticket back as it was
  (open, or snoozed until the same time if that is still ahead), without
  counting a reopen, and with the auto-close clock **armed**: a normal
  reopen disarms it and waits for the customer, an undo keeps the ticket
  waiting on the customer as before. The clock starts again at the undo, so
  the ticket gets a full period (its old start would close it again at the
  next sweep).
- An automatic **assignment** is undone by unassigning the ticket and giving
  the agent back their place in the rotation (``last_assigned_at`` as it was
  before), so the undo does not cost them a turn.

Either way the ticket must still be as the rule left it (not reopened, not
reassigned since), the activity entry is marked undone, and an ``undone``
activity records who undid what."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Agent, Ticket
from . import Conflict, NotFound
from .reasons import KEY
from .tickets import _event

UNDOABLE = ("closed", "assigned")


def window() -> dt.timedelta:
    """How long an automatic action can be undone (``AUTOMATION_UNDO_HOURS``,
    default 24)."""
    return dt.timedelta(hours=current_app.config["AUTOMATION_UNDO_HOURS"])


def undo_until(activity: Activity):
    """Until when ``activity`` can be undone, or None when it cannot (not an
    automatic close or assignment, already undone, or too old)."""
    data = activity.data or {}
    if activity.action not in UNDOABLE or not data.get(KEY) or data.get("undone_at"):
        return None
    until = activity.created_at + window()
    return until if now() < until else None


def undo(ticket_id: int, activity_id: int, actor: Agent) -> Ticket:
    """Undo automatic action ``activity_id`` of ticket ``ticket_id``.
    Raises NotFound (no such action on this ticket) or Conflict (cannot be
    undone: not automatic, window over, or the ticket changed since)."""
    activity = Activity.get_or_none((Activity.id == activity_id) & (Activity.ticket == ticket_id))
    if activity is None:
        raise NotFound(_("This ticket has no activity %(id)s.", id=activity_id), code="not_found")
    if undo_until(activity) is None:
        raise Conflict(
            _(
                "Only an automatic close or assignment of the last %(h)d hours can be undone.",
                h=int(window().total_seconds() // 3600),
            ),
            code="not_undoable",
        )
    at = now()
    with write_transaction():
        if activity.action == "closed":
            ticket = _undo_close(activity, at)
        else:
            ticket = _undo_assign(activity, at)
        if ticket is None:
            raise Conflict(_("The ticket changed since; there is nothing to undo."), code="changed_since")
        Activity.update(data={**activity.data, "undone_at": at.isoformat(), "undone_by": actor.id}).where(
            Activity.id == activity.id
        ).execute()
        Activity.create(
            ticket=ticket_id,
            actor=actor,
            action="undone",
            data={"activity_id": activity.id, "undid": activity.action, "rule": activity.data[KEY].get("rule")},
            created_at=at,
        )
    return ticket


def _undo_close(activity, at):
    data = activity.data
    snoozed_until = dt.datetime.fromisoformat(data["snoozed_until"]) if data.get("snoozed_until") else None
    status = "snoozed" if data.get("from") == "snoozed" and snoozed_until and snoozed_until > at else "open"
    changed = (
        Ticket.update(
            status=status,
            snoozed_until=snoozed_until if status == "snoozed" else None,
            closed_at=None,
            closed_reason=None,
            awaiting_customer_since=at,
            updated_at=at,
        )
        .where(
            (Ticket.id == activity.ticket_id) & (Ticket.status == "closed") & (Ticket.closed_at == activity.created_at)
        )
        .execute()
    )
    if not changed:
        return None
    ticket = Ticket.get_by_id(activity.ticket_id)

    def announce():
        fire(
            "helpline_on_ticket_status_changed",
            ticket=ticket,
            old_status="closed",
            new_status=status,
            reason="undo",
            actor=None,
        )
        publish("ticket.updated", _event(ticket))

    after_commit(announce)
    return ticket


def _undo_assign(activity, at):
    agent_id = activity.data.get("to")
    changed = (
        Ticket.update(assignee=None, updated_at=at)
        .where((Ticket.id == activity.ticket_id) & (Ticket.assignee == agent_id))
        .execute()
    )
    if not changed:
        return None
    before = activity.data[KEY].get("inputs", {}).get("previously_assigned_at")
    Agent.update(last_assigned_at=dt.datetime.fromisoformat(before) if before else None).where(
        (Agent.id == agent_id) & (Agent.last_assigned_at == activity.created_at)
    ).execute()
    ticket = Ticket.get_by_id(activity.ticket_id)
    agent = Agent.get_or_none(Agent.id == agent_id)

    def announce():
        fire("helpline_on_ticket_assigned", ticket=ticket, old_assignee=agent, new_assignee=None, actor=None)
        publish("ticket.updated", _event(ticket))

    after_commit(announce)
    return ticket
