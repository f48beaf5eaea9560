"""Server-Sent Events: ticket, message and presence events for agents."""

import json

import marshmallow as ma
from flask import Blueprint, Response, request
from flask_babel import lazy_gettext as _l
from webargs.fields import DelimitedList

from ..auth import current_agent, require
from ..bus import delivered_to
from ..db import db
from ..events import get_bus

bp = Blueprint("stream", __name__)

KEEPALIVE_SECONDS = 15


class StreamArgs(ma.Schema):
    types = DelimitedList(
        ma.fields.String(validate=ma.validate.Length(max=40)), load_default=list, validate=ma.validate.Length(max=20)
    )
    once = ma.fields.Boolean(load_default=False)
    # The ticket page's stream: it also gets that ticket's presence and
    # typing events (``app.bus.TICKET_SCOPED``), which other streams never do.
    ticket = ma.fields.Integer(load_default=None, strict=False, validate=ma.validate.Range(min=1, max=2**63 - 1))
    timeout = ma.fields.Float(
        load_default=None,
        allow_nan=False,
        validate=ma.validate.Range(min=0.05, max=60),
        error_messages={"invalid": _l("Not a number."), "special": _l("Not a number.")},
    )

    @ma.post_load
    def _default_timeout(self, data, **kwargs):
        data["timeout"] = data["timeout"] or KEEPALIVE_SECONDS
        return data

    class Meta:
        unknown = ma.EXCLUDE


def sse(event):
    payload = json.dumps(event.get("data", {}), default=str)
    return f"id: {event.get('id', '')}\nevent: {event['type']}\ndata: {payload}\n\n"


@bp.get("/events/stream")
@require("inbox")
def stream():
    """Stream events to an agent until they disconnect. ``?types=a,b`` limits
    the event types; ``?ticket=<id>`` adds that ticket's presence and typing
    events; ``?once=1`` ends after the first event (tests, polling)."""
    args = StreamArgs().load(request.args)  # refused: the one error answer (422)
    bus = get_bus()
    wanted = set(args["types"])
    once = args["once"]
    timeout = args["timeout"]
    ticket_id = args["ticket"]
    me = current_agent().id
    # A stream may stay open for hours: it must not hold a database connection.
    if not db.is_closed() and not db.in_transaction():
        db.close()

    def generate():
        # Subscribing inside the generator ties the subscription's lifetime to
        # the stream: it is released when the client goes away.
        subscription = bus.subscribe()
        try:
            yield "retry: 3000\n\n"
            while True:
                event = subscription.get(timeout=timeout)
                if event is None:
                    if once:
                        return
                    yield ": keepalive\n\n"
                    continue
                if (wanted and event.get("type") not in wanted) or not delivered_to(event, me, ticket_id):
                    continue
                yield sse(event)
                if once:
                    return
        finally:
            subscription.close()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)
