"""The presence switch (online / away / offline), the page heartbeat, and
who is viewing or typing on a ticket (``POST /t/<id>/presence``)."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, jsonify, request
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..errors import error_response
from ..ratelimit import within_limit
from ..services import NotFound, collision, tickets
from ..services.agents import set_presence
from .blueprint import bp

#: Announcements per agent per minute: a heartbeat every 20 s and a typing
#: signal every few seconds in a couple of tabs stay far below it.
TICKET_PRESENCE_LIMIT = "120 per minute"


@bp.post("/presence")
@require("inbox")
def presence():
    """``presence=online|away|offline`` sets the status; without it this is
    a heartbeat (sent every ~30 s while an inbox page is open)."""
    choice = request.form.get("presence") or None
    agent = set_presence(current_agent(), presence=choice, heartbeat=True)  # refusals: the one error answer
    return jsonify(presence=agent.presence, effective=agent.presence_effective)


class TicketPresenceSchema(ma.Schema):
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(collision.STATES))

    class Meta:
        unknown = ma.EXCLUDE


@bp.post("/t/<dbid:ticket_id>/presence")
@require("inbox")
def ticket_presence(ticket_id):
    """``state=viewing|typing|left``: what this agent is doing on the
    ticket, announced to the other agents' pages as ``ticket.presence``
    (and ``typing`` to a web chat visitor). Sent by the ticket page on
    open, every 20 s while it is visible, while typing, and on leaving."""
    agent = current_agent()
    try:
        data = TicketPresenceSchema().load({"state": request.form.get("state", "")})
    except ma.ValidationError:
        message = _("The state is viewing, typing or left.")
        return error_response(400, "invalid", message, {"state": [message]})
    # Counted before the ticket is read: a page past its limit costs no query.
    if not within_limit("ticket-presence", agent.id, TICKET_PRESENCE_LIMIT):
        return error_response(429, "rate_limited", _("Too many requests; try again later."))
    try:
        ticket = tickets.get(ticket_id)
    except NotFound:
        abort(404)
    collision.announce(ticket, agent, data["state"])
    return jsonify(ok=True, state=data["state"])
