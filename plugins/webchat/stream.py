"""The live stream of one web chat conversation (Server-Sent Events) at
/api/v1/webchat/conversations/<cid>/stream. A plain Flask view, not in the
OpenAPI document (an event stream has no JSON body to describe); it opens
the conversation with the visitor token like the API (``?token=``, since an
EventSource cannot send headers) and answers errors in the same JSON shape."""

import json
import logging
import threading
import time

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from app.plugin import connection, db

from . import conversations as convs
from .api import CID, TooMany, conversation, cors, guard
from .fanout import get_fanout
from .schemas import MAX_ID

log = logging.getLogger(__name__)

bp = Blueprint("webchat_stream", __name__, url_prefix="/api/v1/webchat")
bp.before_request(guard)
bp.after_request(cors)

MAX_STREAMS_PER_CONVERSATION = 5

_open_streams = {}
_open_lock = threading.Lock()
_db_slots_lock = threading.Lock()


def _db_slots(app):
    """Streams open a database connection only for a moment, but hundreds of
    them waking at once (a burst of replies, a restart) would exhaust
    PostgreSQL's connections: at most ``WEBCHAT_STREAM_DB_SLOTS`` stream
    database calls run at once per process; the others wait their turn."""
    with _db_slots_lock:
        slots = app.extensions.get("webchat.db_slots")
        if slots is None:
            slots = app.extensions["webchat.db_slots"] = threading.BoundedSemaphore(
                int(app.config.get("WEBCHAT_STREAM_DB_SLOTS", 8))
            )
        return slots


def _sse(event, data, event_id=None):
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


@bp.get(f"/conversations/{CID}/stream")
def stream(cid):
    """Server-Sent Events for one conversation: ``message`` (visitor and
    public replies, ``id`` = message id so a reconnect resumes with
    Last-Event-ID), ``typing`` (an agent), ``closed``."""
    chat = conversation(cid, request.args.get("token"))
    try:
        after = int(request.headers.get("Last-Event-ID") or request.args.get("after") or 0)
    except ValueError:
        after = 0
    after = min(max(after, 0), MAX_ID)
    with _open_lock:
        if _open_streams.get(cid, 0) >= MAX_STREAMS_PER_CONVERSATION:
            raise TooMany(_("Too many open chat windows for this conversation."), code="too_many_streams")
        _open_streams[cid] = _open_streams.get(cid, 0) + 1
    app = current_app._get_current_object()
    keepalive = float(app.config.get("WEBCHAT_KEEPALIVE_SECONDS", 15))
    lifetime = float(app.config.get("WEBCHAT_STREAM_SECONDS", 300))
    # Presence writes every half TTL, not every keepalive: one row update per
    # visitor per ~30 s is what a busy box can afford.
    touch_every = convs.settings()["presence_ttl_seconds"] / 2
    fanout = get_fanout(app)
    listener = fanout.register(chat.ticket_id)  # before the backlog query: nothing falls in between
    convs.stream_opened(chat.id)
    # A stream may stay open for minutes: it must not hold a database connection.
    if not db.is_closed() and not db.in_transaction():
        db.close()
    state = {"ticket_id": chat.ticket_id, "last": after}

    slots = _db_slots(app)

    def work(fn):
        with slots, app.app_context(), connection():
            return fn()

    def backlog():
        def fetch():
            if state["ticket_id"] is None:
                state["ticket_id"] = (
                    convs.Conversation.select(convs.Conversation.ticket)
                    .where(convs.Conversation.id == chat.id)
                    .scalar()
                )
                if state["ticket_id"] is not None:
                    fanout.bind(listener, state["ticket_id"])
            # Written is not seen: the connection may already be dead. The
            # widget confirms what it showed (heartbeat ``last_seen_id``).
            return convs.public_messages(state["ticket_id"], after=state["last"])

        found = work(fetch)
        for message in found:
            state["last"] = message["id"]
        return [_sse("message", m, m["id"]) for m in found]

    def generate():
        try:
            yield "retry: 2000\n\n"
            yield from backlog()
            deadline = last_touch = time.monotonic()
            deadline += lifetime
            while time.monotonic() < deadline:
                event = listener.get(timeout=keepalive)
                if listener.overflowed:
                    listener.overflowed = False
                    yield from backlog()
                if event is None:
                    if time.monotonic() - last_touch >= touch_every:
                        work(lambda: convs.stream_alive(chat.id))
                        last_touch = time.monotonic()
                    yield ": keepalive\n\n"
                    continue
                kind, data = event.get("type"), event.get("data") or {}
                if kind == "message.created" and (
                    state["ticket_id"] is None or data.get("ticket_id") == state["ticket_id"]
                ):
                    yield from backlog()
                elif data.get("ticket_id") is None or data.get("ticket_id") != state["ticket_id"]:
                    continue
                elif kind == "typing" and data.get("who") == "agent":
                    yield _sse("typing", {"who": "agent"})
                elif kind == "ticket.updated" and data.get("status") == "closed":
                    yield _sse("closed", {})
        finally:
            fanout.unregister(listener)
            with _open_lock:
                _open_streams[cid] = _open_streams.get(cid, 1) - 1
                if _open_streams[cid] <= 0:
                    _open_streams.pop(cid, None)
            try:
                work(lambda: convs.stream_closed(chat.id))
            except Exception:
                log.exception("could not record the end of web chat stream %s", cid)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)
