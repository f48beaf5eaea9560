"""Ticket lifecycle: status (open, snoozed until T, closed with a reason),
reopen, assignment, tags and bulk actions."""

from __future__ import annotations

import datetime as dt

import peewee
from flask_babel import gettext as _

from ..clock import now
from ..db import ShapedStatement, write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Agent, Tag, Ticket, TicketTag
from . import NotFound, ServiceError
from .reasons import KEY
from .reasons import make as make_reason

MAX_TAG_LENGTH = 64
MAX_BULK = 1000


def get(ticket_id) -> Ticket:
    """The ticket with this id; raises :class:`NotFound` (HTTP 404) when
    there is none.
    """
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(_("Ticket %(id)s does not exist.", id=ticket_id), code="not_found")
    return ticket


def _event(ticket):
    return {
        "ticket_id": ticket.id,
        "status": ticket.status,
        "assignee_id": ticket.assignee_id,
        "channel": ticket.channel,
    }


def set_status(ticket, status, actor=None, snoozed_until=None, reason=None):
    """Open, snooze (until a later time) or close a ticket. Closing and
    reopening disarm the auto-close clock. Returns the updated ticket."""
    at = now()
    if status not in ("open", "snoozed", "closed"):
        raise ServiceError(_("Unknown status %(status)s.", status=status), field="status")
    if status == "snoozed":
        if snoozed_until is None:
            raise ServiceError(
                _("Snoozing needs a time to wake up."), code="snooze_until_required", field="snoozed_until"
            )
        if snoozed_until <= at:
            raise ServiceError(
                _("The snooze time must be in the future."), code="snooze_in_past", field="snoozed_until"
            )
    with write_transaction():
        ticket = Ticket.select().where(Ticket.id == ticket.id).get()
        old = ticket.status
        if old == status and status != "snoozed":
            return ticket
        ticket.status = status
        ticket.updated_at = at
        if status == "snoozed":
            ticket.snoozed_until = snoozed_until
        else:
            ticket.snoozed_until = None
        if status == "closed":
            ticket.closed_at = at
            ticket.closed_reason = reason or "agent"
            ticket.awaiting_customer_since = None
        elif old == "closed":
            ticket.closed_at = None
            ticket.closed_reason = None
            ticket.reopen_count += 1
            ticket.reopened_at = at
            ticket.awaiting_customer_since = None
        ticket.save()
        action = {"closed": "closed", "snoozed": "snoozed"}.get(status, "reopened" if old == "closed" else "opened")
        data = {"from": old, "reason": reason or "agent"}
        if snoozed_until:
            data["until"] = snoozed_until.isoformat()
        Activity.create(ticket=ticket, actor=actor, action=action, data=data, created_at=at)

        def announce():
            fire(
                "helpline_on_ticket_status_changed",
                ticket=ticket,
                old_status=old,
                new_status=status,
                reason=reason or "agent",
                actor=actor,
            )
            publish("ticket.updated", _event(ticket))
            if old == "closed" and ticket.assignee_id is None:
                from .assignment import auto_assign

                auto_assign(ticket)

        after_commit(announce)
    return ticket


def close(ticket, actor=None, reason="agent"):
    """Close a ticket (``set_status(ticket, "closed", ...)``); ``reason`` is
    stored as its ``closed_reason``. Returns the updated ticket.
    """
    return set_status(ticket, "closed", actor=actor, reason=reason)


def reopen(ticket, actor=None):
    """Open a closed or snoozed ticket again. Returns the updated ticket."""
    return set_status(ticket, "open", actor=actor)


def snooze(ticket, until, actor=None):
    """Snooze a ticket until ``until`` (naive UTC, in the future); it
    opens again by itself then. Returns the updated ticket.
    """
    return set_status(ticket, "snoozed", actor=actor, snoozed_until=until)


def assign(ticket, agent: Agent | None, actor=None):
    """Assign to an agent (who must be active and allowed in the inbox), or
    unassign with ``None``."""
    from ..permissions import can

    if agent is not None and not can(agent, "inbox"):
        raise ServiceError(
            _("%(name)s cannot be assigned tickets.", name=agent.name), code="not_assignable", field="assignee"
        )
    at = now()
    with write_transaction():
        ticket = Ticket.get_by_id(ticket.id)
        old_id = ticket.assignee_id
        new_id = agent.id if agent else None
        if old_id == new_id:
            return ticket
        ticket.assignee = agent
        ticket.updated_at = at
        ticket.save()
        if agent is not None:
            Agent.update(last_assigned_at=at).where(Agent.id == agent.id).execute()
        Activity.create(
            ticket=ticket,
            actor=actor,
            action="assigned" if agent else "unassigned",
            data={"from": old_id, "to": new_id},
            created_at=at,
        )

        def announce():
            old_agent = Agent.get_or_none(Agent.id == old_id) if old_id else None
            fire("helpline_on_ticket_assigned", ticket=ticket, old_assignee=old_agent, new_assignee=agent, actor=actor)
            publish("ticket.updated", _event(ticket))

        after_commit(announce)
    return ticket


def _clean_tags(names):
    clean = []
    for name in names or ():
        name = " ".join(str(name).split()).lower()
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ServiceError(_("Tags are at most %(n)d characters.", n=MAX_TAG_LENGTH), field="tags")
        if name not in clean:
            clean.append(name)
    return clean


def _tag_ids(names):
    ids = []
    for name in names:
        tag = Tag.get_or_none(Tag.name == name)
        if tag is None:
            try:
                with Tag._meta.database.atomic():
                    tag = Tag.create(name=name)
            except peewee.IntegrityError:
                tag = Tag.get(Tag.name == name)
        ids.append(tag.id)
    return ids


def tags_of(ticket):
    return [t.name for t in Tag.select().join(TicketTag).where(TicketTag.ticket == ticket).order_by(Tag.name)]


def tags_for(ticket_ids):
    """``{ticket_id: [tag names]}`` in one query."""
    result = {tid: [] for tid in ticket_ids}
    if not ticket_ids:
        return result
    # Asked for every list page: its SQL is built once per number of ids.
    for tid, name in _TAGS_OF.rows(None, {"ids": list(ticket_ids)}):
        result[tid].append(name)
    return result


_TAGS_OF = ShapedStatement(
    lambda shape, values: (
        TicketTag.select(TicketTag.ticket, Tag.name)
        .join(Tag)
        .where(TicketTag.ticket.in_(values["ids"]))
        .order_by(Tag.name)
        .tuples()
    )
)


def change_tags(ticket, add=(), remove=(), replace=None, actor=None):
    """Add and remove tags (or replace them all). Returns the tag names."""
    add, remove = _clean_tags(add), _clean_tags(remove)
    with write_transaction():
        current = set(tags_of(ticket))
        target = set(_clean_tags(replace)) if replace is not None else (current | set(add)) - set(remove)
        added, removed = sorted(target - current), sorted(current - target)
        if added:
            TicketTag.insert_many(
                [{"ticket": ticket.id, "tag": tid} for tid in _tag_ids(added)]
            ).on_conflict_ignore().execute()
        if removed:
            gone = [t.id for t in Tag.select(Tag.id).where(Tag.name.in_(removed))]
            TicketTag.delete().where((TicketTag.ticket == ticket.id) & TicketTag.tag.in_(gone)).execute()
        if added or removed:
            at = now()
            Ticket.update(updated_at=at).where(Ticket.id == ticket.id).execute()
            Activity.create(
                ticket=ticket, actor=actor, action="tagged", data={"added": added, "removed": removed}, created_at=at
            )

            def announce():
                fresh = Ticket.get_by_id(ticket.id)
                fire("helpline_on_ticket_tags_changed", ticket=fresh, added=added, removed=removed, actor=actor)
                publish("ticket.updated", _event(fresh))

            after_commit(announce)
    return sorted(target)


BULK_ACTIONS = ("assign", "unassign", "tag", "untag", "snooze", "close", "reopen")


def bulk(ticket_ids, action, actor, params=None):
    """Apply one action to many tickets; returns ``{id: "ok" | error}``.
    Each ticket is its own transaction: one failure does not stop the rest."""
    params = params or {}
    if action not in BULK_ACTIONS:
        raise ServiceError(_("Unknown bulk action %(a)s.", a=action), field="action")
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if len(ids) > MAX_BULK:
        raise ServiceError(_("At most %(n)d tickets at once.", n=MAX_BULK), field="ids")
    assignee = None
    if action == "assign":
        assignee = Agent.get_or_none(Agent.id == params.get("assignee_id"))
        if assignee is None:
            raise ServiceError(_("Choose an agent to assign."), field="assignee_id")
    tickets = {t.id: t for t in Ticket.select().where(Ticket.id.in_(ids))}
    results = {}
    for tid in ids:
        ticket = tickets.get(tid)
        if ticket is None:
            results[tid] = _("Ticket %(id)s does not exist.", id=tid)
            continue
        try:
            if action == "assign":
                assign(ticket, assignee, actor=actor)
            elif action == "unassign":
                assign(ticket, None, actor=actor)
            elif action == "tag":
                change_tags(ticket, add=params.get("tags", ()), actor=actor)
            elif action == "untag":
                change_tags(ticket, remove=params.get("tags", ()), actor=actor)
            elif action == "snooze":
                snooze(ticket, params.get("until"), actor=actor)
            elif action == "close":
                close(ticket, actor=actor, reason="agent")
            elif action == "reopen":
                reopen(ticket, actor=actor)
            results[tid] = "ok"
        except ServiceError as exc:
            results[tid] = exc.message
    return results


def wake_snoozed(limit=1000):
    """Reopen snoozed tickets whose time has come (one indexed query, then a
    guarded update) and alert their assignees. Returns the woken ids."""
    at = now()
    due = [
        t.id
        for t in Ticket.select(Ticket.id)
        .where((Ticket.snoozed_until <= at) & (Ticket.status == "snoozed"))
        .limit(limit)
    ]
    if not due:
        return []
    with write_transaction():
        until = dict(
            Ticket.select(Ticket.id, Ticket.snoozed_until)
            .where(Ticket.id.in_(due) & (Ticket.status == "snoozed") & (Ticket.snoozed_until <= at))
            .tuples()
        )
        woken = list(until)
        Ticket.update(status="open", snoozed_until=None, updated_at=at).where(Ticket.id.in_(woken)).execute()
        Activity.insert_many(
            [
                {
                    "ticket": tid,
                    "action": "opened",
                    "data": {"reason": "snooze_expired", KEY: _snooze_reason(when)},
                    "created_at": at,
                }
                for tid, when in until.items()
            ]
        ).execute()

        def announce():
            # Read every row first: event hooks may write, and a write while
            # this SQLite read cursor is open fails with "database is locked".
            for ticket in list(Ticket.select().where(Ticket.id.in_(woken))):
                fire(
                    "helpline_on_ticket_status_changed",
                    ticket=ticket,
                    old_status="snoozed",
                    new_status="open",
                    reason="snooze_expired",
                    actor=None,
                )
                publish("ticket.updated", _event(ticket))
                if ticket.assignee_id:
                    publish("alert", {"agent_id": ticket.assignee_id, "ticket_id": ticket.id, "kind": "snooze_expired"})

        after_commit(announce)
    return woken


def _snooze_reason(until):
    return make_reason(
        "snooze",
        _("Woken up: the ticket was snoozed until %(when)s UTC.", when=until.strftime("%Y-%m-%d %H:%M")),
        {"snoozed_until": until},
    )


def parse_duration(text):
    """ "30m", "4h", "2d", "1w" as a timedelta (snooze presets)."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    text = (text or "").strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ServiceError(_("Durations look like 30m, 4h, 2d or 1w."), field="duration")
    return dt.timedelta(**{units[text[-1]]: int(text[:-1])})
