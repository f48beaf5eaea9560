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
   The same select reads each ticket's reason inputs (the latest
   ``clock_armed`` activity and its agent, see :mod:`.why`).
3. Notices and audit rows, each carrying its ticket's reason, are inserted
   for exactly the rows this transaction closed by one ``INSERT ... SELECT``
   each (the per-row values in one JSON parameter, see :mod:`.bulk`), and
   the events fire after commit.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee
from flask_babel import gettext as _

from app.plugin import (
    Activity,
    Message,
    Ticket,
    after_commit,
    customer_language,
    dry_run,
    fire_each,
    get_plugins,
    is_postgres,
    now,
    preview,
    publish,
    text_to_html,
    write_transaction,
)

from .bulk import among, insert_rows
from .why import Reasons, explain, with_arming

log = logging.getLogger(__name__)

PLUGIN = "autoclose"
REASON = "inactivity"
BATCH_SIZE = 500
TICKET_FIELDS = Ticket._meta.sorted_fields
TICKET_NAMES = [f.name for f in TICKET_FIELDS]


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
    this call closed (the task runner skips it while the plugin is off). In
    dry-run mode it closes nothing and records each due clock once."""
    settings = get_plugins().get_settings(PLUGIN)
    at = now()
    cutoff = at - dt.timedelta(days=settings["inactivity_days"])
    # A typing signal is "until" a few seconds ahead; the close waits the
    # grace period after the last one, then the next sweep retries.
    typing_cutoff = at - dt.timedelta(minutes=settings["typing_grace_minutes"])
    condition = due_condition(cutoff, typing_cutoff)
    # Written into the thread once, in the language customers read
    # (stored text: it is what they were told, whoever reads it later).
    with customer_language():
        notice = _("Ticket closed due to inactivity")
    days = settings["inactivity_days"]
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
        if settings["dry_run"]:
            _record_dry_run(rows, days)
        else:
            closed += _close_batch(rows, condition, at, notice, days)
        batches += 1
        if len(rows) < batch_size:
            break
    if closed:
        log.info("autoclose closed %d tickets", len(closed))
    return closed


def closed_fields(at, notice):
    """What closing a ticket for inactivity at ``at`` sets on it (``notice``
    is the thread's notice, which becomes the list preview)."""
    return {
        "status": "closed",
        "closed_at": at,
        "closed_reason": REASON,
        "snoozed_until": None,
        "awaiting_customer_since": None,
        "updated_at": at,
        "last_message_preview": preview(notice, 200),
    }


def _stored(model, data):
    """A ``model`` instance for a row as stored, from ``data`` keyed by
    field name (a foreign key holds the id), as peewee builds one from a
    select: without a ``setattr`` per field, which cost more than the
    whole hook dispatch for a batch of 500."""
    row = model(__no_default__=True)
    row.__data__ = data
    return row


def _record_dry_run(rows, days):
    """Dry run: record each due clock once (keyed by its start), change
    nothing."""
    why = explain([tid for _since, tid in rows], days)
    dry_run.record(
        PLUGIN,
        "close",
        [{"ticket": tid, "key": since.isoformat(), "data": {"why": why[tid]}} for since, tid in rows if tid in why],
    )


def _close_batch(keys, condition, at, notice, days):
    """Close the tickets among ``keys`` (``(clock, id)`` pairs in sweep
    order) that are still due, in one transaction; returns the ids closed
    here."""
    postgres = is_postgres()
    ids = [tid for _since, tid in keys]
    # The batch's stretch of the clock index, so each statement reads those
    # entries only: matched by id alone, PostgreSQL's planner walked every
    # due ticket's entry for each batch. A ticket whose clock moved since
    # the due read is left for the next run.
    key = peewee.Tuple(Ticket.awaiting_customer_since, Ticket.id)
    condition = condition & (key >= peewee.Tuple(*keys[0])) & (key <= peewee.Tuple(*keys[-1]))
    with write_transaction():
        # The one read of the batch: the guard (the whole due condition
        # again, rows locked on PostgreSQL) and every input of the reasons.
        # Whole rows: the event hooks get these tickets (with the update
        # below applied in memory) instead of reading them back.
        locked = with_arming(Ticket.select(*TICKET_FIELDS)).where(among(Ticket.id, ids) & condition)
        if postgres:
            locked = locked.for_update(of=Ticket, skip_locked=True)
        previous, rows = {}, {}
        for row in locked.tuples():
            ticket = dict(zip(TICKET_NAMES, row))
            rows[ticket["id"]] = ticket
            previous[ticket["id"]] = (
                ticket["status"],
                ticket["channel"],
                ticket["awaiting_customer_since"],
                ticket["snoozed_until"],
                *row[len(TICKET_NAMES) :],
            )
        if not previous:
            return []
        closing = closed_fields(at, notice)
        update = Ticket.update(**closing).where(among(Ticket.id, previous) & condition)
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
        notices, entries, reason = [], [], Reasons(days)
        for tid in done:
            status, channel, clock, snoozed, arming, armed_by = previous[tid]
            why = reason(clock, arming, armed_by)
            notices.append(
                {
                    "ticket_id": tid,
                    "channel": channel,
                    "attachments": [],
                    "meta": {"rule": PLUGIN, "reason": REASON, "why": why},
                }
            )
            entries.append(
                {
                    "ticket_id": tid,
                    "data": {
                        "from": status,
                        "reason": REASON,
                        "why": why,
                        # What an undo restores.
                        "clock": clock.isoformat(),
                        "snoozed_until": snoozed.isoformat() if snoozed else None,
                    },
                }
            )
        fixed = {
            "direction": "outbound",
            "kind": "notice",
            "author_type": "system",
            "text": notice,
            "html": text_to_html(notice),
            "attempts": 0,
            "created_at": at,
        }
        message_ids = insert_rows(
            Message,
            fixed,
            {"ticket_id": "integer", "channel": "text", "attachments": "json", "meta": "json"},
            notices,
            returning=("id", "ticket_id"),
        )
        notice_of = {tid: mid for mid, tid in message_ids}
        if len(notice_of) != len(notices):
            raise RuntimeError(f"autoclose: {len(notice_of)} notices stored for {len(notices)} closed tickets")
        insert_rows(Activity, {"action": "closed", "created_at": at}, {"ticket_id": "integer", "data": "json"}, entries)
        # The rows as stored, built from what this batch read and wrote,
        # for the event hooks (no read back, no JSON parsed again).
        tickets = {tid: _stored(Ticket, {**rows[tid], **closing}) for tid in done}
        blank = {"author_agent": None, "external_id": None, "delivery_state": None, "delivery_error": None}
        messages = [
            _stored(
                Message,
                {
                    **fixed,
                    **blank,
                    "id": notice_of[n["ticket_id"]],
                    "ticket": n["ticket_id"],
                    "channel": n["channel"],
                    "attachments": n["attachments"],
                    "meta": n["meta"],
                },
            )
            for n in notices
        ]

        def announce():
            # Each hook once per batch (the live plugins looked up once), each
            # ticket's status change before its notice; the browsers' events
            # in the same per-ticket order.
            fire_each(
                "helpline_on_ticket_status_changed",
                [
                    {
                        "ticket": tickets[m.ticket_id],
                        "old_status": previous[m.ticket_id][0],
                        "new_status": "closed",
                        "reason": REASON,
                        "actor": None,
                    }
                    for m in messages
                ],
            )
            fire_each("helpline_on_message_created", [{"message": m, "ticket": tickets[m.ticket_id]} for m in messages])
            for message in messages:
                ticket = tickets[message.ticket_id]
                publish(
                    "ticket.updated",
                    {
                        "ticket_id": ticket.id,
                        "status": ticket.status,
                        "assignee_id": ticket.assignee_id,
                        "channel": ticket.channel,
                    },
                )
                publish(
                    "message.created",
                    {"ticket_id": ticket.id, "message_id": message.id, "direction": "outbound", "kind": "notice"},
                )

        after_commit(announce)
    return done
