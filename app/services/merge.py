"""Merging two tickets of the same customer, undoing a merge, and splitting
a ticket in two.

- **Merge** ``source`` into ``target``: every message of the source moves to
  the target (the thread shows them in time order, see
  :func:`app.services.messages.thread`), and the source is closed with the
  reason ``merged``. Both tickets get an activity entry (``merged`` on the
  source, remembering which messages moved and how the source was;
  ``merged_in`` on the target). Tags, assignee and the activity trail stay
  on their own ticket.
- **Unmerge** (within ``MERGE_UNDO_HOURS``, default 24) moves the same
  messages back (replies written on the target since stay there) and puts
  the source back as it was (open, or snoozed if that time is still ahead),
  without counting a reopen.

- **Split** at a message: that message and every later one (time order)
  move to a new ticket of the same customer, channel and thread key (so the
  customer's next messages on a keyed channel such as SMS arrive there, the
  newest ticket of the thread; email replies follow the message they
  answer). The new ticket keeps the subject and assignee; undo a split by
  merging the new ticket back.

After commit: ``helpline_on_ticket_status_changed`` for the source (reason
``merged`` / ``unmerged``), then ``helpline_on_ticket_merged`` /
``helpline_on_ticket_unmerged`` so that listeners whose data follows the
messages (reports) recompute both tickets."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _
from peewee import fn

from ..clock import now
from ..db import write_transaction
from ..events import after_commit, fire, publish
from ..models import Activity, Message, Ticket
from ..plugins import get_plugins
from . import Conflict, ServiceError, search
from .html import preview
from .tickets import _event
from .tickets import get as get_ticket
from .views import decode_cursor, encode_cursor


def window() -> dt.timedelta:
    """How long a merge can be undone (``MERGE_UNDO_HOURS``, default 24)."""
    return dt.timedelta(hours=current_app.config["MERGE_UNDO_HOURS"])


def merge_activity(ticket) -> Activity | None:
    """The ``merged`` activity that closed ``ticket`` (the latest one not
    undone), or None when the ticket is not merged."""
    if ticket.status != "closed" or ticket.closed_reason != "merged":
        return None
    rows = (
        Activity.select()
        .where((Activity.ticket == ticket.id) & (Activity.action == "merged"))
        .order_by(Activity.id.desc())
        .limit(1)
    )
    activity = next(iter(rows), None)
    if activity is None or (activity.data or {}).get("undone_at"):
        return None
    return activity


def merged_into(ticket) -> Ticket | None:
    """The ticket ``ticket`` was merged into, or None."""
    activity = merge_activity(ticket)
    return Ticket.get_or_none(Ticket.id == activity.data["into"]) if activity else None


def unmerge_until(activity) -> dt.datetime | None:
    """Until when the merge recorded by ``activity`` can be undone, or None."""
    if activity is None or (activity.data or {}).get("undone_at"):
        return None
    until = activity.created_at + window()
    return until if now() < until else None


def candidates(ticket, text="", limit=20, cursor=None):
    """Tickets ``ticket`` can be merged into, a keyset page at a time:
    ``(rows, next_cursor)``. Only the same customer's other tickets (not
    merged themselves) qualify, most recently active first; ``text``
    narrows them: ``#12`` to ticket 12, anything else to the ticket of that
    number, a piece of the subject, or what the search service finds
    (words of any message, the subject, the customer's fields). ``cursor`` is a previous answer's ``next_cursor``
    (None on the last page)."""
    query = Ticket.select().where(
        (Ticket.profile == ticket.profile_id)
        & (Ticket.id != ticket.id)
        & ((Ticket.closed_reason.is_null()) | (Ticket.closed_reason != "merged"))
    )
    text = (text or "").strip()
    bare = text.lstrip("#")
    searching = False
    if text.startswith("#") and bare.isdigit() and len(bare) <= 12:
        query = query.where(Ticket.id == int(bare))  # "#12" is a ticket number, nothing else
    elif text:
        cond = Ticket.subject.contains(bare) | Ticket.id.in_(search.matching_ids(text))
        searching = True
        if bare.isdigit() and len(bare) <= 12:
            cond |= Ticket.id == int(bare)
        query = query.where(cond)
    if cursor:
        updated, last_id = decode_cursor(cursor, "updated", "desc")
        query = query.where((Ticket.updated_at < updated) | ((Ticket.updated_at == updated) & (Ticket.id < last_id)))
    with search.planned(searching):
        rows = list(query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor("updated", "desc", rows[-1]) if more else None)


def merge(source_id, into_id, actor) -> Ticket:
    """Merge ticket ``source_id`` into ticket ``into_id``; returns the
    target. Raises NotFound, ServiceError (same ticket, another customer's
    ticket) or Conflict (either ticket is already merged)."""
    source = get_ticket(source_id)
    if into_id == source.id:
        raise ServiceError(_("A ticket cannot be merged into itself."), code="same_ticket", field="into")
    target = Ticket.get_or_none(Ticket.id == into_id)
    if target is None:
        raise ServiceError(_("Ticket %(id)s does not exist.", id=into_id), code="not_found", field="into")
    if target.profile_id != source.profile_id:
        raise ServiceError(_("Only tickets of the same customer can be merged."), code="other_customer", field="into")
    at = now()
    with write_transaction():
        source = Ticket.get_by_id(source.id)
        target = Ticket.get_by_id(target.id)
        if source.closed_reason == "merged" and source.status == "closed":
            raise Conflict(_("Ticket %(id)s is already merged.", id=source.id), code="already_merged")
        if target.closed_reason == "merged" and target.status == "closed":
            raise Conflict(
                _("Ticket %(id)s is merged into another ticket; choose that one.", id=target.id),
                code="target_merged",
                field="into",
            )
        moved = [m for (m,) in Message.select(Message.id).where(Message.ticket == source.id).tuples()]
        if moved:
            Message.update(ticket=target.id).where(Message.id.in_(moved)).execute()
        old_status = source.status
        Activity.create(
            ticket=source,
            actor=actor,
            action="merged",
            data={
                "into": target.id,
                "message_ids": moved,
                "from": old_status,
                "snoozed_until": source.snoozed_until.isoformat() if source.snoozed_until else None,
                "closed_at": source.closed_at.isoformat() if source.closed_at else None,
                "closed_reason": source.closed_reason,
                "awaiting_customer_since": (
                    source.awaiting_customer_since.isoformat() if source.awaiting_customer_since else None
                ),
            },
            created_at=at,
        )
        Activity.create(
            ticket=target,
            actor=actor,
            action="merged_in",
            data={"from": source.id, "messages": len(moved)},
            created_at=at,
        )
        Ticket.update(
            status="closed",
            closed_at=at,
            closed_reason="merged",
            snoozed_until=None,
            awaiting_customer_since=None,
            updated_at=at,
        ).where(Ticket.id == source.id).execute()
        _refresh(source.id, at)
        _refresh(target.id, at)
        source, target = Ticket.get_by_id(source.id), Ticket.get_by_id(target.id)

        def announce():
            if old_status != "closed":
                fire(
                    "helpline_on_ticket_status_changed",
                    ticket=source,
                    old_status=old_status,
                    new_status="closed",
                    reason="merged",
                    actor=actor,
                )
            fire("helpline_on_ticket_merged", ticket=source, into=target, actor=actor)
            publish("ticket.updated", _event(source))
            publish("ticket.updated", _event(target))

        after_commit(announce)
    return target


def unmerge(source_id, actor) -> Ticket:
    """Undo the merge of ticket ``source_id``; returns it. Raises NotFound
    or Conflict (not merged, the window is over)."""
    source = get_ticket(source_id)
    activity = merge_activity(source)
    if activity is None:
        raise Conflict(_("Ticket %(id)s is not merged.", id=source.id), code="not_merged")
    if unmerge_until(activity) is None:
        raise Conflict(
            _("Only a merge of the last %(h)d hours can be undone.", h=int(window().total_seconds() // 3600)),
            code="not_undoable",
        )
    at = now()
    data = activity.data
    target_id = data["into"]
    snoozed_until = dt.datetime.fromisoformat(data["snoozed_until"]) if data.get("snoozed_until") else None
    awaiting = (
        dt.datetime.fromisoformat(data["awaiting_customer_since"]) if data.get("awaiting_customer_since") else None
    )
    closed_at = dt.datetime.fromisoformat(data["closed_at"]) if data.get("closed_at") else None
    if data.get("from") == "closed":
        status = "closed"
    elif data.get("from") == "snoozed" and snoozed_until and snoozed_until > at:
        status = "snoozed"
    else:
        status = "open"
    with write_transaction():
        changed = (
            Ticket.update(
                status=status,
                snoozed_until=snoozed_until if status == "snoozed" else None,
                closed_at=(closed_at or at) if status == "closed" else None,
                closed_reason=(data.get("closed_reason") or "agent") if status == "closed" else None,
                awaiting_customer_since=awaiting if status != "closed" else None,
                updated_at=at,
            )
            .where(
                (Ticket.id == source.id)
                & (Ticket.status == "closed")
                & (Ticket.closed_reason == "merged")
                & (Ticket.closed_at == activity.created_at)
            )
            .execute()
        )
        if not changed:
            raise Conflict(_("The ticket changed since; there is nothing to undo."), code="changed_since")
        ids = data.get("message_ids") or []
        back = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            back += (
                Message.update(ticket=source.id).where(Message.id.in_(chunk) & (Message.ticket == target_id)).execute()
            )
        Activity.update(data={**data, "undone_at": at.isoformat(), "undone_by": actor.id if actor else None}).where(
            Activity.id == activity.id
        ).execute()
        Activity.create(
            ticket=source.id,
            actor=actor,
            action="unmerged",
            data={"activity_id": activity.id, "into": target_id, "messages": back},
            created_at=at,
        )
        if Ticket.get_or_none(Ticket.id == target_id) is not None:
            Activity.create(
                ticket=target_id,
                actor=actor,
                action="unmerged",
                data={"from": source.id, "messages": back},
                created_at=at,
            )
            _refresh(target_id, at)
        _refresh(source.id, at)
        source = Ticket.get_by_id(source.id)
        target = Ticket.get_or_none(Ticket.id == target_id)

        def announce():
            if status != "closed":
                fire(
                    "helpline_on_ticket_status_changed",
                    ticket=source,
                    old_status="closed",
                    new_status=status,
                    reason="unmerged",
                    actor=actor,
                )
            if target is not None:
                fire("helpline_on_ticket_unmerged", ticket=source, into=target, actor=actor)
                publish("ticket.updated", _event(target))
            publish("ticket.updated", _event(source))

        after_commit(announce)
    return source


def split(ticket_id, message_id, actor) -> Ticket:
    """Move message ``message_id`` of ticket ``ticket_id`` and every later
    message to a new ticket; returns the new ticket. Raises NotFound,
    ServiceError (not a message of this ticket, or its first message) or
    Conflict (the ticket is merged)."""
    source = get_ticket(ticket_id)
    at = now()
    with write_transaction():
        source = Ticket.get_by_id(source.id)
        if source.status == "closed" and source.closed_reason == "merged":
            raise Conflict(_("A merged ticket cannot be split; split the ticket it was merged into."), code="merged")
        pivot = Message.get_or_none((Message.id == message_id) & (Message.ticket == source.id))
        if pivot is None:
            raise ServiceError(
                _("Message %(id)s is not part of this ticket.", id=message_id), code="not_found", field="message_id"
            )
        later = (Message.created_at > pivot.created_at) | (
            (Message.created_at == pivot.created_at) & (Message.id >= pivot.id)
        )
        earlier = Message.select(Message.id).where((Message.ticket == source.id) & ~later).limit(1).exists()
        if not earlier:
            raise ServiceError(
                _("Choose a later message: splitting at the first one would leave this ticket empty."),
                code="first_message",
                field="message_id",
            )
        moved = [m for (m,) in Message.select(Message.id).where((Message.ticket == source.id) & later).tuples()]
        new = Ticket.create(
            channel=source.channel,
            thread_key=source.thread_key,
            profile=source.profile_id,
            status="open",
            assignee=source.assignee_id,
            subject=source.subject,
            created_at=pivot.created_at,
            updated_at=at,
        )
        Message.update(ticket=new.id).where(Message.id.in_(moved)).execute()
        Activity.create(
            ticket=source, actor=actor, action="split", data={"to": new.id, "message_ids": moved}, created_at=at
        )
        Activity.create(
            ticket=new,
            actor=actor,
            action="split_from",
            data={"from": source.id, "messages": len(moved)},
            created_at=at,
        )
        _refresh(source.id, at)
        _refresh(new.id, at)
        source, new = Ticket.get_by_id(source.id), Ticket.get_by_id(new.id)

        def announce():
            fire("helpline_on_ticket_created", ticket=new)
            fire("helpline_on_ticket_split", ticket=source, new_ticket=new, actor=actor)
            publish("ticket.created", _event(new))
            publish("ticket.updated", _event(source))

        after_commit(announce)
    return new


def _refresh(ticket_id, at):
    """Recompute the fields a ticket keeps about its thread (list preview,
    latest customer message) after messages moved in or out."""
    shown = (Message.ticket == ticket_id) & (Message.kind == "message")
    channel = get_plugins().channel(Ticket.select(Ticket.channel).where(Ticket.id == ticket_id).scalar())
    if getattr(channel, "preview_from_customer", False):
        # As a reply leaves it (app.services.messages): the customer's words.
        shown &= (Message.direction == "inbound") & (Message.author_type == "customer")
    last = Message.select(Message.text).where(shown).order_by(Message.created_at.desc(), Message.id.desc()).first()
    inbound = (
        Message.select(fn.MAX(Message.id), fn.MAX(Message.created_at))
        .where((Message.ticket == ticket_id) & (Message.direction == "inbound") & (Message.author_type == "customer"))
        .tuples()
        .first()
    ) or (None, None)
    Ticket.update(
        last_message_preview=preview(last.text, 200) if last else "",
        last_inbound_message_id=inbound[0],
        last_customer_message_at=inbound[1],
        updated_at=at,
    ).where(Ticket.id == ticket_id).execute()
