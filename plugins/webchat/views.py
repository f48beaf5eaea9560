"""HTTP for the widget: the script, a demo storefront, and the JSON/SSE API
under ``/webchat/api``. CSRF-exempt (visitors authenticate with a signed
token), CORS limited to the merchant's allowed origins, bodies validated
and bounded, rate-limited per IP and per conversation."""

import json
import logging
import os
import threading
import time

import marshmallow as ma
from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory
from flask_babel import gettext as _

from app.csrf import exempt
from app.db import connection, db
from app.services import ServiceError

from . import conversations as convs
from .fanout import get_fanout
from .ratelimit import limiter
from .schemas import Heartbeat, PostMessage, StartConversation

log = logging.getLogger(__name__)

bp = Blueprint("webchat", __name__, url_prefix="/webchat", template_folder="templates")
exempt(bp)

STATIC = os.path.join(os.path.dirname(__file__), "static")
MAX_BODY = 16 * 1024
MAX_STREAMS_PER_CONVERSATION = 5
TOKEN_HEADER = "X-Webchat-Token"

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


class TooMany(ServiceError):
    status = 429


# --- cross-cutting: CORS, size bound, errors ----------------------------------------


def _origin_allowed(origin):
    if not origin:
        return True  # not a browser cross-origin request
    if origin == request.host_url.rstrip("/"):
        return True
    return origin in convs.settings()["allowed_origins"]


@bp.before_request
def _guard():
    if not request.path.startswith("/webchat/api/"):
        return None
    request.max_content_length = MAX_BODY
    if not _origin_allowed(request.headers.get("Origin")):
        return _error(403, "origin_not_allowed", _("This website may not use the chat."))
    return None


@bp.after_request
def _cors(response):
    origin = request.headers.get("Origin")
    if origin and request.path.startswith("/webchat/api/") and _origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}, Last-Event-ID"
        response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
    return response


def _error(status, code, message, fields=None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


@bp.errorhandler(ServiceError)
def _service_error(exc):
    return _error(exc.status, exc.code, exc.message, {exc.field: [exc.message]} if exc.field else None)


@bp.errorhandler(ma.ValidationError)
def _validation_error(exc):
    return _error(422, "invalid", _("Some fields are not valid."), exc.messages)


@bp.errorhandler(413)
def _too_large(exc):
    return _error(413, "too_large", _("The request is too large."))


def _body(schema):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(_("Send a JSON object."), code="bad_json")
    return schema().load(data, unknown=ma.EXCLUDE)


def _limit(bucket, key, limit, per_seconds=60):
    if not limiter.hit((bucket, key), limit, per_seconds):
        raise TooMany(_("Too many requests; slow down."), code="rate_limited")


def _conversation(cid, allow_query_token=False):
    token = request.headers.get(TOKEN_HEADER)
    if not token and allow_query_token:
        token = request.args.get("token")
    return convs.conversation_for(token, cid)


@bp.app_template_global("webchat_visitor")
def webchat_visitor(ticket):
    """What the agent sidebar shows about a chat ticket's visitor."""
    conversation = convs.Conversation.get_or_none(convs.Conversation.ticket == ticket.id)
    if conversation is None:
        return None
    return {
        "present": convs.is_present(conversation),
        "email": conversation.visitor_email,
        "page_url": conversation.page_url,
        "followups": conversation.followups.count(),
    }


# --- the script and the demo -------------------------------------------------------------


@bp.get("/widget.js")
def widget_js():
    """The embeddable widget (``<script src=".../webchat/widget.js" data-key="...">``)."""
    response = send_from_directory(STATIC, "widget.js", mimetype="text/javascript", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/demo")
def demo():
    """A demo storefront page embedding the widget with the first site key."""
    return render_template("webchat/demo.html", key=convs.ensure_site_key())


# --- the API ----------------------------------------------------------------------------


@bp.get("/api/config")
def config():
    """Title, colors and whether the team is available now."""
    _limit("config", request.remote_addr, 120)
    return jsonify(convs.widget_config(request.args.get("key", "")[:64]))


@bp.post("/api/conversations")
def start_conversation():
    """Start a conversation; answers its id and the visitor token."""
    _limit("start", request.remote_addr, 20)
    data = _body(StartConversation)
    conversation, token = convs.start(data["key"], data["name"], data["email"], data["page_url"], data["visitor_id"])
    return jsonify(
        {"conversation_id": conversation.public_id, "visitor_id": conversation.visitor_id, "token": token}
    ), 201


@bp.get("/api/conversations/<cid>/messages")
def list_messages(cid):
    """Messages the visitor may see, with ids above ``?after=``."""
    conversation = _conversation(cid, allow_query_token=True)
    _limit("read", cid, 120)
    after = request.args.get("after", 0, type=int) or 0
    messages = convs.public_messages(conversation.ticket_id, after=max(after, 0))
    if messages:
        convs.mark_delivered(conversation.id, messages[-1]["id"])
    closed = conversation.ticket_id is not None and conversation.ticket.status == "closed"
    return jsonify({"messages": messages, "closed": closed})


@bp.post("/api/conversations/<cid>/messages")
def post_message(cid):
    """A visitor message; resending the same ``client_id`` is harmless. When
    the conversation was closed the answer names the new conversation and
    its token, which the widget switches to."""
    conversation = _conversation(cid)
    _limit("post", conversation.visitor_id, 30)
    data = _body(PostMessage)
    message, target = convs.post_message(conversation, data["client_id"], data["text"])
    body = {"message": convs.serialize(message), "conversation_id": target.public_id}
    if target.id != conversation.id:
        body["token"] = convs.make_token(target)
    return jsonify(body), 201


@bp.post("/api/conversations/<cid>/typing")
def typing(cid):
    """The visitor is typing."""
    conversation = _conversation(cid)
    _limit("typing", cid, 60)
    convs.visitor_typing(conversation)
    return "", 204


@bp.post("/api/conversations/<cid>/heartbeat")
def heartbeat(cid):
    """The visitor's page is still open."""
    conversation = _conversation(cid)
    _limit("heartbeat", cid, 30)
    data = _body(Heartbeat)
    convs.heartbeat(conversation, data["last_seen_id"])
    return "", 204


def _sse(event, data, event_id=None):
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


@bp.get("/api/conversations/<cid>/stream")
def stream(cid):
    """Server-Sent Events for one conversation: ``message`` (visitor and
    public replies, ``id`` = message id so a reconnect resumes with
    Last-Event-ID), ``typing`` (an agent), ``closed``."""
    conversation = _conversation(cid, allow_query_token=True)
    try:
        after = int(request.headers.get("Last-Event-ID") or request.args.get("after") or 0)
    except ValueError:
        after = 0
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
    listener = fanout.register(conversation.ticket_id)  # before the backlog query: nothing falls in between
    convs.stream_opened(conversation.id)
    # A stream may stay open for minutes: it must not hold a database connection.
    if not db.is_closed() and not db.in_transaction():
        db.close()
    state = {"ticket_id": conversation.ticket_id, "last": max(after, 0)}

    slots = _db_slots(app)

    def work(fn):
        with slots, app.app_context(), connection():
            return fn()

    def backlog():
        def fetch():
            if state["ticket_id"] is None:
                state["ticket_id"] = (
                    convs.Conversation.select(convs.Conversation.ticket)
                    .where(convs.Conversation.id == conversation.id)
                    .scalar()
                )
                if state["ticket_id"] is not None:
                    fanout.bind(listener, state["ticket_id"])
            found = convs.public_messages(state["ticket_id"], after=state["last"])
            if found:
                convs.mark_delivered(conversation.id, found[-1]["id"])
            return found

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
                        work(lambda: convs.stream_alive(conversation.id))
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
                work(lambda: convs.stream_closed(conversation.id))
            except Exception:
                log.exception("could not record the end of web chat stream %s", cid)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(generate(), mimetype="text/event-stream", headers=headers)
