"""Server-Sent Events: ticket, message and presence events for agents."""
import json

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _

from ..db import db

from ..auth import require
from ..events import get_bus

bp = Blueprint("stream", __name__)

KEEPALIVE_SECONDS = 15


def sse(event):
    payload = json.dumps(event.get("data", {}), default=str)
    return f"id: {event.get('id', '')}\nevent: {event['type']}\ndata: {payload}\n\n"


@bp.get("/events/stream")
@require("inbox")
def stream():
    """Stream events to an agent until they disconnect. ``?types=a,b`` limits
    the event types; ``?once=1`` ends after the first event (tests, polling)."""
    bus = get_bus()
    wanted = {t for t in request.args.get("types", "")[:500].split(",") if t}
    once = request.args.get("once") == "1"
    try:
        timeout = min(max(float(request.args.get("timeout", KEEPALIVE_SECONDS)), 0.05), 60)
    except ValueError:
        return jsonify(error={"code": "invalid", "message": _("timeout must be a number of seconds."),
                              "fields": {"timeout": [_("Not a number.")]}}), 400
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
                if wanted and event.get("type") not in wanted:
                    continue
                yield sse(event)
                if once:
                    return
        finally:
            subscription.close()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)
