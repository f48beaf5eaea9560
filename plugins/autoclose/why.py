"""The reason auto-close gives for each close: the reply that armed the
clock (who, when it was delivered), the period, and that no customer reply
came. Two queries per batch, whatever its size."""

from __future__ import annotations

from flask_babel import gettext as _

from app.plugin import Activity, Agent, make_reason

RULE = "autoclose"
SETTINGS = "autoclose.settings_page"


def explain(ticket_ids, clocks, days) -> dict:
    """``{ticket_id: reason}`` for tickets closed now; ``clocks`` maps each
    id to the clock's start (``awaiting_customer_since``)."""
    armed = {}
    rows = (
        Activity.select(Activity.ticket, Activity.actor, Activity.data)
        .where(Activity.ticket.in_(list(ticket_ids)) & (Activity.action == "clock_armed"))
        .order_by(Activity.id)
        .tuples()
    )
    for ticket_id, actor_id, data in rows:
        armed[ticket_id] = (actor_id, data)  # the latest arming wins
    names = (
        dict(Agent.select(Agent.id, Agent.name).where(Agent.id.in_({a for a, _d in armed.values() if a})).tuples())
        if armed
        else {}
    )
    reasons = {}
    for tid in ticket_ids:
        actor_id, data = armed.get(tid, (None, {}))
        by = names.get(actor_id) or _("a bot or AI agent")
        since = clocks[tid]
        reasons[tid] = make_reason(
            RULE,
            _(
                "Auto-close: no customer reply for %(days)d days after the reply by %(by)s delivered at %(when)s UTC.",
                days=days,
                by=by,
                when=since.strftime("%Y-%m-%d %H:%M"),
            ),
            {
                "period_days": days,
                "clock_started_at": since,
                "armed_by_message_id": data.get("message_id"),
                "armed_by": by,
                "reply_written_at": data.get("replied_at"),
                "customer_replied": False,
            },
            SETTINGS,
        )
    return reasons
