"""The auto-close sweep: set-based, indexed, safe to run twice at once.

1. One indexed range query on ``ticket.awaiting_customer_since`` picks a
   batch of due ids (keyset-paginated, so its cost grows with the tickets
   due, never with all tickets).
2. Each batch is closed in one write transaction that re-checks the whole
   condition: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a
   ticket a customer message or another sweep is touching is left for the
   next run) and ``UPDATE ... RETURNING``; on SQLite the write transaction
   holds the database lock, so the re-check is exact. A customer message
   that committed first disarmed the clock, and the re-check drops it.
3. Notices and audit rows are inserted set-based for exactly the rows that
   this transaction closed, and the events fire after commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import peewee
from flask_babel import gettext as _

from app.plugin import (
    Activity,
    Message,
    Ticket,
    after_commit,
    fire,
    get_plugins,
    is_postgres,
    now,
    preview,
    publish,
    text_to_html,
    write_transaction,
)

log = logging.getLogger(__name__)

PLUGIN = "autoclose"
REASON = "inactivity"
BATCH_SIZE = 500


def due_condition(cutoff, typing_cutoff):
    """Tickets whose clock is at or past ``cutoff`` (an exact edge closes),
    not closed, whose customer has not typed since ``typing_cutoff`` and has
    not written since the clock armed (a defence against a reply racing a
    customer message: the customer always wins)."""
    return (
        (Ticket.awaiting_customer_since <= cutoff)
        & (Ticket.status != "closed")
        & (
            Ticket.last_customer_message_at.is_null()
            | (Ticket.last_customer_message_at <= Ticket.awaiting_customer_since)
        )
        & (Ticket.customer_typing_until.is_null() | (Ticket.customer_typing_until < typing_cutoff))
    )


def sweep(batch_size=BATCH_SIZE, max_batches=None):
    """Close every due ticket (see the module docstring). Returns the ids
    this call closed; does nothing while the ``enabled`` setting is off."""
    settings = get_plugins().get_settings(PLUGIN)
    if not settings["enabled"]:
        return []
    at = now()
    cutoff = at - dt.timedelta(days=settings["inactivity_days"])
    # A typing signal is "until" a few seconds ahead; the close waits the
    # grace period after the last one, then the next sweep retries.
    typing_cutoff = at - dt.timedelta(minutes=settings["typing_grace_minutes"])
    condition = due_condition(cutoff, typing_cutoff)
    notice = _("Ticket closed due to inactivity")
    closed, after, batches = [], None, 0
    while max_batches is None or batches < max_batches:
        query = (
            Ticket.select(Ticket.awaiting_customer_since, Ticket.id)
            .where(condition)
            .order_by(Ticket.awaiting_customer_since, Ticket.id)
            .limit(batch_size)
        )
        if after is not None:
            # Keyset: tickets skipped as locked are not re-read in this run.
            query = query.where(peewee.Tuple(Ticket.awaiting_customer_since, Ticket.id) > peewee.Tuple(*after))
        rows = list(query.tuples())
        if not rows:
            break
        after = rows[-1]
        closed += _close_batch([r[1] for r in rows], condition, at, notice)
        batches += 1
        if len(rows) < batch_size:
            break
    if closed:
        log.info("autoclose closed %d tickets", len(closed))
    return closed


def _json(value, postgres):
    """A JSON literal for INSERT ... SELECT (PostgreSQL's jsonb needs the cast)."""
    literal = peewee.Value(json.dumps(value))
    return literal.cast("jsonb") if postgres else literal


def _close_batch(ids, condition, at, notice):
    """Close the tickets among ``ids`` that are still due, in one
    transaction; returns the ids closed here."""
    postgres = is_postgres()
    with write_transaction():
        locked = Ticket.select(Ticket.id, Ticket.status, Ticket.channel).where(Ticket.id.in_(ids) & condition)
        if postgres:
            locked = locked.for_update(skip_locked=True)
        previous = {tid: (status, channel) for tid, status, channel in locked.tuples()}
        if not previous:
            return []
        update = Ticket.update(
            status="closed",
            closed_at=at,
            closed_reason=REASON,
            snoozed_until=None,
            awaiting_customer_since=None,
            updated_at=at,
            last_message_preview=preview(notice, 200),
        ).where(Ticket.id.in_(list(previous)) & condition)
        if postgres:
            done = [row[0] for row in update.returning(Ticket.id).tuples().execute()]
        else:
            # The write transaction holds SQLite's lock: what was selected
            # above is exactly what this update changes.
            count = update.execute()
            done = list(previous)
            if count != len(done):
                raise RuntimeError(f"autoclose: updated {count} of {len(done)} locked tickets")
        if not done:
            return []
        # INSERT ... SELECT from the closed tickets: one short statement per
        # batch, where rows of VALUES made peewee build SQL for every field of
        # every row (most of the sweep's CPU time).
        html = text_to_html(notice)
        notice_rows = Ticket.select(
            Ticket.id,
            Ticket.channel,
            peewee.Value("outbound"),
            peewee.Value("notice"),
            peewee.Value("system"),
            peewee.Value(notice),
            peewee.Value(html),
            _json([], postgres),
            _json({"rule": PLUGIN, "reason": REASON}, postgres),
            peewee.Value(0),
            peewee.Value(at, converter=Message.created_at.db_value),
        ).where(Ticket.id.in_(done))
        notice_fields = [
            Message.ticket,
            Message.channel,
            Message.direction,
            Message.kind,
            Message.author_type,
            Message.text,
            Message.html,
            Message.attachments,
            Message.meta,
            Message.attempts,
            Message.created_at,
        ]
        if postgres:
            inserted = Message.insert_from(notice_rows, notice_fields).returning(Message.id)
            message_ids = [row[0] for row in inserted.tuples().execute()]
        else:
            floor = Message.select(peewee.fn.MAX(Message.id)).scalar() or 0
            Message.insert_from(notice_rows, notice_fields).execute()
            message_ids = [
                m.id
                for m in Message.select(Message.id).where(
                    (Message.id > floor) & Message.ticket.in_(done) & (Message.kind == "notice")
                )
            ]
        for old_status in {previous[tid][0] for tid in done}:
            Activity.insert_from(
                Ticket.select(
                    Ticket.id,
                    peewee.Value("closed"),
                    peewee.Value(at, converter=Activity.created_at.db_value),
                    _json({"from": old_status, "reason": REASON}, postgres),
                ).where(Ticket.id.in_([tid for tid in done if previous[tid][0] == old_status])),
                [Activity.ticket, Activity.action, Activity.created_at, Activity.data],
            ).execute()

        def announce():
            tickets = {t.id: t for t in Ticket.select().where(Ticket.id.in_(done))}
            for message in Message.select().where(Message.id.in_(message_ids)).order_by(Message.id):
                ticket = tickets[message.ticket_id]
                fire(
                    "helpline_on_ticket_status_changed",
                    ticket=ticket,
                    old_status=previous[ticket.id][0],
                    new_status="closed",
                    reason=REASON,
                    actor=None,
                )
                publish(
                    "ticket.updated",
                    {
                        "ticket_id": ticket.id,
                        "status": ticket.status,
                        "assignee_id": ticket.assignee_id,
                        "channel": ticket.channel,
                    },
                )
                fire("helpline_on_message_created", message=message, ticket=ticket)
                publish(
                    "message.created",
                    {"ticket_id": ticket.id, "message_id": message.id, "direction": "outbound", "kind": "notice"},
                )

        after_commit(announce)
    return done
