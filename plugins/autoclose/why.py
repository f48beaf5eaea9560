"""The reason auto-close gives for each close: the reply that armed the
clock (who, when it was delivered), the period, and that no customer reply
came.

The inputs come with the tickets themselves: :func:`with_arming` adds the
latest ``clock_armed`` activity and its agent to a ticket query (one
indexed lookup per row, inside the same statement), so the sweep reads
everything a batch's reasons need in the one select that locks the batch."""

from __future__ import annotations

import peewee
from flask_babel import gettext as _

from app.plugin import Activity, Agent, Ticket, make_reason

RULE = "autoclose"
SETTINGS = "autoclose.settings_page"

Arming = Activity.alias("arming")
ArmedBy = Agent.alias("armed_by")


def with_arming(query):
    """``query`` (a ``Ticket.select``) joined to each ticket's latest
    ``clock_armed`` activity and its agent; adds the two columns
    :func:`reason` reads (``arming.data``, ``armed_by.name``) at the end."""
    latest = Activity.select(peewee.fn.MAX(Activity.id)).where(
        (Activity.ticket == Ticket.id) & (Activity.action == "clock_armed")
    )
    return (
        query.select_extend(Arming.data, ArmedBy.name)
        .join_from(Ticket, Arming, on=(Arming.id == latest), join_type=peewee.JOIN.LEFT_OUTER)
        .join_from(Arming, ArmedBy, on=(Arming.actor == ArmedBy.id), join_type=peewee.JOIN.LEFT_OUTER)
    )


class Reasons:
    """The reasons of one batch at one period: the translated sentence and
    the settings link are made once (both cost more than the formatting
    itself, and a sweep writes thousands of reasons)."""

    def __init__(self, days):
        self.days = days
        # Translated once, formatted per ticket (gettext without variables
        # returns the catalogue's text with its placeholders).
        self.summary = _(
            "Auto-close: no customer reply for %(days)d days after the reply by %(by)s delivered at %(when)s UTC."
        )
        self.nobody = _("a bot or AI agent")
        self.base = make_reason(RULE, "", {}, SETTINGS)

    def __call__(self, since, data, by_name) -> dict:
        """The reason for closing a ticket whose clock started at ``since``;
        ``data`` and ``by_name`` are the arming activity's data and agent
        name as :func:`with_arming` reads them (None when unknown)."""
        data = data or {}
        by = by_name or self.nobody
        return {
            **self.base,
            "summary": self.summary % {"days": self.days, "by": by, "when": since.isoformat(" ", "minutes")},
            "inputs": {
                "period_days": self.days,
                "clock_started_at": since.isoformat(),
                "armed_by_message_id": data.get("message_id"),
                "armed_by": by,
                "reply_written_at": data.get("replied_at"),
                "customer_replied": False,
            },
        }


def explain(ticket_ids, days) -> dict:
    """``{ticket_id: reason}`` for tickets that are due now (their clock
    still running), in one query: the dry run's record."""
    reason = Reasons(days)
    query = with_arming(Ticket.select(Ticket.id, Ticket.awaiting_customer_since)).where(Ticket.id.in_(list(ticket_ids)))
    return {tid: reason(since, data, name) for tid, since, data, name in query.tuples()}
