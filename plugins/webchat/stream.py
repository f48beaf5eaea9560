"""The live stream of one web chat conversation (Server-Sent Events) at
/api/v1/webchat/conversations/<cid>/stream, served two ways with one
behaviour: a Flask view (``helpline run`` and the web hosts: one thread per
open stream) and a :class:`~app.plugin.StreamRoute` for ``helpline streams``
(a coroutine per open stream; the proxy routes the path there). Not in the
OpenAPI document (an event stream has no JSON body to describe); it opens
the conversation with the visitor token like the API (``?token=``, since an
EventSource cannot send headers) and answers errors in the same JSON shape."""

import json
import logging
import threading
import time

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from app.plugin import StreamRoute, connection, db

from . import conversations as convs
from .api import CID, TooMany, check_origin, conversation, cors, cors_headers, guard
from .fanout import get_fanout
from .schemas import MAX_ID

log = logging.getLogger(__name__)

bp = Blueprint("webchat_stream", __name__, url_prefix="/api/v1/webchat")
bp.before_request(guard)
bp.after_request(cors)

MAX_STREAMS_PER_CONVERSATION = 5
BACKLOG = object()  # what VisitorStream.react answers when the database must be read again

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


def _claim(cid):
    """Count one more open stream of ``cid`` (429 past the limit)."""
    with _open_lock:
        if _open_streams.get(cid, 0) >= MAX_STREAMS_PER_CONVERSATION:
            raise TooMany(_("Too many open chat windows for this conversation."), code="too_many_streams")
        _open_streams[cid] = _open_streams.get(cid, 0) + 1


def _release(cid):
    with _open_lock:
        _open_streams[cid] = _open_streams.get(cid, 1) - 1
        if _open_streams[cid] <= 0:
            _open_streams.pop(cid, None)


def _resume_after():
    """The last message id the visitor has (Last-Event-ID on a reconnect, or ``?after``)."""
    try:
        after = int(request.headers.get("Last-Event-ID") or request.args.get("after") or 0)
    except ValueError:
        after = 0
    return min(max(after, 0), MAX_ID)


def _timing(app):
    """``(keepalive, lifetime, touch_every)`` seconds. Presence is written every
    half TTL, not every keepalive: one row update per visitor per ~30 s is
    what a busy box can afford."""
    return (
        float(app.config.get("WEBCHAT_KEEPALIVE_SECONDS", 15)),
        float(app.config.get("WEBCHAT_STREAM_SECONDS", 300)),
        convs.settings()["presence_ttl_seconds"] / 2,
    )


class VisitorStream:
    """What one open stream knows and how it answers events: the same for the
    threaded view and the async stream server."""

    def __init__(self, chat, after):
        self.chat_id = chat.id
        self.ticket_id = chat.ticket_id
        self.last = after

    def backlog(self):
        """``(events, ticket)``: the SSE text of the messages after the last
        one sent (database), and the ticket id when it was just learnt
        (the first message created it), else None."""
        learnt = None
        if self.ticket_id is None:
            self.ticket_id = learnt = (
                convs.Conversation.select(convs.Conversation.ticket)
                .where(convs.Conversation.id == self.chat_id)
                .scalar()
            )
        # Written is not seen: the connection may already be dead. The
        # widget confirms what it showed (heartbeat ``last_seen_id``).
        found = convs.public_messages(self.ticket_id, after=self.last)
        for message in found:
            self.last = message["id"]
        return [_sse("message", m, m["id"]) for m in found], learnt

    def react(self, event):
        """:data:`BACKLOG` (read the database), SSE text to send, or None."""
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "message.created" and (self.ticket_id is None or data.get("ticket_id") == self.ticket_id):
            return BACKLOG
        if data.get("ticket_id") is None or data.get("ticket_id") != self.ticket_id:
            return None
        if kind == "typing" and data.get("who") == "agent":
            return _sse("typing", {"who": "agent"})
        if kind == "ticket.updated" and data.get("status") == "closed":
            return _sse("closed", {})
        return None


@bp.get(f"/conversations/{CID}/stream")
def stream(cid):
    """Server-Sent Events for one conversation: ``message`` (visitor and
    public replies, ``id`` = message id so a reconnect resumes with
    Last-Event-ID), ``typing`` (an agent), ``closed``."""
    chat = conversation(cid, request.args.get("token"))
    after = _resume_after()
    _claim(cid)
    app = current_app._get_current_object()
    keepalive, lifetime, touch_every = _timing(app)
    fanout = get_fanout(app)
    listener = fanout.register(chat.ticket_id)  # before the backlog query: nothing falls in between
    convs.stream_opened(chat.id)
    # A stream may stay open for minutes: it must not hold a database connection.
    if not db.is_closed() and not db.in_transaction():
        db.close()
    state = VisitorStream(chat, after)
    slots = _db_slots(app)

    def work(fn):
        with slots, app.app_context(), connection():
            return fn()

    def backlog():
        events, learnt = work(state.backlog)
        if learnt is not None:
            fanout.bind(listener, learnt)
        return events

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
                answer = state.react(event)
                if answer is BACKLOG:
                    yield from backlog()
                elif answer:
                    yield answer
        finally:
            fanout.unregister(listener)
            _release(cid)
            try:
                work(lambda: convs.stream_closed(chat.id))
            except Exception:
                log.exception("could not record the end of web chat stream %s", cid)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)


# --- the same stream on `helpline streams` -------------------------------------------------


async def visitor_stream(stream):
    """The conversation's stream as a coroutine of the stream server: the
    same origin check, CORS headers, visitor token, per-conversation limit,
    presence updates and events as :func:`stream`."""
    cid = stream.match["cid"]

    def start():
        stream.headers.update(cors_headers())
        check_origin()
        chat = conversation(cid, request.args.get("token"))
        after = _resume_after()
        _claim(cid)
        try:
            convs.stream_opened(chat.id)
        except Exception:
            _release(cid)
            raise
        return chat, after, _timing(current_app)

    # Subscribed before anything is read, so no event falls in between.
    subscription = stream.subscribe()
    chat, after, (keepalive, lifetime, touch_every) = await stream.run(start)
    state = VisitorStream(chat, after)
    subscription.follow(chat.ticket_id)  # None: every event, until the first message names the ticket

    async def backlog():
        events, learnt = await stream.run(state.backlog)
        if learnt is not None:
            subscription.follow(learnt)
        return events

    try:
        yield "retry: 2000\n\n"
        for text in await backlog():
            yield text
        deadline = last_touch = time.monotonic()
        deadline += lifetime
        while time.monotonic() < deadline:
            event = await subscription.get(keepalive)
            if subscription.overflowed:
                subscription.overflowed = False
                for text in await backlog():
                    yield text
            if event is None:
                if time.monotonic() - last_touch >= touch_every:
                    await stream.run(convs.stream_alive, chat.id)
                    last_touch = time.monotonic()
                yield ": keepalive\n\n"
                continue
            answer = state.react(event)
            if answer is BACKLOG:
                for text in await backlog():
                    yield text
            elif answer:
                yield answer
    finally:
        subscription.close()
        _release(cid)
        try:
            await stream.run(convs.stream_closed, chat.id)
        except Exception:
            log.exception("could not record the end of web chat stream %s", cid)


STREAM_ROUTES = [StreamRoute("/api/v1/webchat/conversations/{cid:[^/]{1,64}}/stream", visitor_stream)]
