"""Stored notifications: what an agent is told about (a ticket assigned to
them, a mention in an internal note, a customer reply on their ticket, a new
ticket when they opted in), the unread count, marking read, and each agent's
notification choices.

Notifications are written by the core's event hook implementations
(:mod:`app.defaults`), so after the change they describe has committed; each
new one is announced on the live event bus as ``notification`` (the bell,
sound and desktop notification of the recipient's open pages); marking
read is announced as ``notification.read`` to that agent's pages only (the
bell in their other tabs)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from ..clock import now
from ..db import ShapedStatement, write_transaction
from ..events import after_commit, publish
from ..models import INBOX_ROLES, Agent, Notification, NotificationPreference, Ticket
from . import NotFound

#: Every kind, in the order the preferences page lists them, with its label.
KINDS = {
    "assigned": _l("A ticket is assigned to me"),
    "mention": _l("Someone mentions me in an internal note"),
    "reply": _l("The customer replies on a ticket assigned to me"),
    "new_ticket": _l("A new ticket arrives"),
}
#: The kinds an agent gets until they choose (a new ticket would be noise
#: for most teams: opt in).
DEFAULT_KINDS = ("assigned", "mention", "reply")
MAX_LIMIT = 100


# --- preferences ------------------------------------------------------------


def preferences(agent) -> dict:
    """``{"sound": bool, "desktop": bool, "kinds": [kind, ...]}`` for
    ``agent``: their saved choices, or the defaults (no sound, no desktop
    notifications, every kind but new tickets)."""
    row = NotificationPreference.get_or_none(NotificationPreference.agent == agent.id)
    if row is None:
        return {"sound": False, "desktop": False, "kinds": list(DEFAULT_KINDS)}
    return {"sound": row.sound, "desktop": row.desktop, "kinds": [k for k in KINDS if k in (row.kinds or [])]}


def save_preferences(agent, sound: bool, desktop: bool, kinds) -> dict:
    """Store ``agent``'s choices (unknown kinds are dropped) and answer them
    as :func:`preferences` does."""
    chosen = [k for k in KINDS if k in set(kinds or ())]
    values = {"sound": bool(sound), "desktop": bool(desktop), "kinds": chosen, "updated_at": now()}
    with write_transaction():
        (
            NotificationPreference.insert(agent=agent.id, **values)
            .on_conflict(conflict_target=[NotificationPreference.agent], update=values)
            .execute()
        )
    return {"sound": values["sound"], "desktop": values["desktop"], "kinds": chosen}


def _wanting(agent_ids, kind):
    """The ids among ``agent_ids`` of active inbox agents who want ``kind``
    (one query)."""
    if not agent_ids:
        return []
    rows = (
        Agent.select(Agent.id, NotificationPreference.kinds)
        .join(NotificationPreference, JOIN.LEFT_OUTER, on=(NotificationPreference.agent == Agent.id))
        .where(Agent.id.in_(list(agent_ids)) & (Agent.is_active == True) & Agent.role.in_(INBOX_ROLES))
        .tuples()
    )
    return [agent_id for agent_id, kinds in rows if kind in (DEFAULT_KINDS if kinds is None else kinds)]


# Read after every new ticket (inbound's hot path): the SQL is built once.
_OPTED_IN = ShapedStatement(
    lambda _shape, _v: (
        NotificationPreference.select(NotificationPreference.agent, NotificationPreference.kinds)
        .join(Agent)
        .where((Agent.is_active == True) & Agent.role.in_(INBOX_ROLES))
        .tuples()
    )
)


def _opted_in_to_new_tickets():
    """Active inbox agents who chose to hear of every new ticket."""
    return [agent_id for agent_id, kinds in _OPTED_IN.rows(None, {}) if "new_ticket" in (kinds or [])]


# --- writing ----------------------------------------------------------------


def notify(agent_ids, kind, ticket, actor=None, message=None) -> list[Notification]:
    """Store a ``kind`` notification about ``ticket`` for each of
    ``agent_ids`` who wants that kind, except the actor themselves (nobody
    is told what they did), and announce each on the event bus once
    committed. Returns the stored notifications."""
    actor_id = actor.id if actor is not None else None
    wanted = [a for a in dict.fromkeys(agent_ids) if a is not None and a != actor_id]
    recipients = _wanting(wanted, kind)
    if not recipients:
        return []
    at = now()
    with write_transaction():
        created = [
            Notification.create(
                agent=agent_id,
                kind=kind,
                ticket=ticket.id,
                message=message.id if message is not None else None,
                actor=actor_id,
                created_at=at,
            )
            for agent_id in recipients
        ]

        def announce():
            for n in created:
                publish(
                    "notification",
                    {
                        "agent_id": n.agent_id,
                        "id": n.id,
                        "kind": n.kind,
                        "ticket_id": ticket.id,
                        "by": actor.name if actor is not None else "",
                        "unread": unread_count(n.agent_id),
                    },
                    to=n.agent_id,  # nobody else's pages learn of it, nor of the count
                )

        after_commit(announce)
    return created


def on_ticket_assigned(ticket, new_assignee, actor):
    """``helpline_on_ticket_assigned``: tell the new assignee."""
    if new_assignee is not None:
        notify([new_assignee.id], "assigned", ticket, actor=actor)


def on_message_created(message, ticket):
    """``helpline_on_message_created``: tell the agents a note mentions
    (the note's ``meta["mentions"]``, written by
    :func:`app.services.messages.add_note`)."""
    mentions = (message.meta or {}).get("mentions") or []
    if message.kind == "note" and mentions:
        notify(mentions, "mention", ticket, actor=message.author_agent, message=message)


def on_message_received(message, ticket):
    """``helpline_on_message_received``: tell the assignee the customer wrote."""
    if ticket.assignee_id is not None and message.author_type == "customer":
        notify([ticket.assignee_id], "reply", ticket, message=message)


def on_ticket_created(ticket):
    """``helpline_on_ticket_created``: tell the agents who opted in."""
    notify(_opted_in_to_new_tickets(), "new_ticket", ticket)


# --- reading ----------------------------------------------------------------


def unread_count(agent) -> int:
    """How many of ``agent``'s (an Agent or an id) notifications are
    unread: one query on the ``(agent, read_at)`` index."""
    agent_id = getattr(agent, "id", agent)
    return Notification.select().where((Notification.agent == agent_id) & Notification.read_at.is_null()).count()


def page(agent, limit=25, cursor=None, unread_only=False):
    """``agent``'s notifications newest first, ``limit`` at a time, older
    than id ``cursor`` when given; answers ``(rows, next_cursor)`` with
    ``next_cursor`` None on the last page. Each row has its ticket and actor
    loaded (one query for the page)."""
    Actor = Agent.alias()
    query = (
        Notification.select(Notification, Ticket, Actor)
        .join(Ticket, on=(Notification.ticket == Ticket.id))
        .switch(Notification)
        .join(Actor, JOIN.LEFT_OUTER, on=(Notification.actor == Actor.id))
        .where(Notification.agent == agent.id)
    )
    if cursor:
        query = query.where(Notification.id < cursor)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    rows = list(query.order_by(Notification.id.desc()).limit(limit + 1))
    for row in rows:
        if row.actor_id is None:
            row.actor = None  # no lazy query for a missing actor
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def get(agent, notification_id) -> Notification:
    """One of ``agent``'s notifications; another agent's is not found."""
    row = Notification.get_or_none((Notification.id == notification_id) & (Notification.agent == agent.id))
    if row is None:
        raise NotFound(_("No such notification."), code="not_found")
    return row


def _announce_read(agent, count):
    """Once committed, tell ``agent``'s open pages (theirs only: the event is
    private) that ``count`` notifications were read, with the new unread
    count, so the bell in every tab follows at once."""
    if not count:
        return
    agent_id = agent.id

    def announce():
        publish("notification.read", {"agent_id": agent_id, "unread": unread_count(agent_id)}, to=agent_id)

    after_commit(announce)


def mark_read(agent, notification_id) -> Notification:
    """Mark one of ``agent``'s notifications read (again: no change)."""
    row = get(agent, notification_id)
    if row.read_at is None:
        row.read_at = now()
        changed = (
            Notification.update(read_at=row.read_at)
            .where((Notification.id == row.id) & Notification.read_at.is_null())
            .execute()
        )
        _announce_read(agent, changed)
    return row


def mark_all_read(agent) -> int:
    """Mark every unread notification of ``agent`` read; answers how many."""
    changed = (
        Notification.update(read_at=now())
        .where((Notification.agent == agent.id) & Notification.read_at.is_null())
        .execute()
    )
    _announce_read(agent, changed)
    return changed


def mark_ticket_read(agent, ticket) -> int:
    """Mark ``agent``'s unread notifications about ``ticket`` read (they
    opened it); answers how many."""
    changed = (
        Notification.update(read_at=now())
        .where((Notification.agent == agent.id) & (Notification.ticket == ticket.id) & Notification.read_at.is_null())
        .execute()
    )
    _announce_read(agent, changed)
    return changed
