"""The widget's JSON API at /api/v1/webchat (flask-smorest, in the OpenAPI
document). Visitors are not agents: every operation is ``public`` and
conversations are opened with the signed visitor token the start answer
gives (header ``X-Webchat-Token``). CSRF does not apply (no cookie is used),
CORS is limited to the merchant's allowed origins, bodies are validated and
bounded, and requests are rate-limited per IP and per conversation. The live
stream of a conversation is :mod:`plugins.webchat.stream`."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app.plugin import PUBLIC, Denied, ServiceError, error_response, require, within_limit

from . import conversations as convs
from . import schemas

bp = Blueprint(
    "webchat_api",
    __name__,
    url_prefix="/webchat",
    description="Web chat widget: the visitor's side of a conversation (public; a visitor token per conversation).",
)

MAX_BODY = 16 * 1024
TOKEN_HEADER = "X-Webchat-Token"
CID = "<string(minlength=1, maxlength=64):cid>"
TOKEN_PARAMETER = {
    "in": "header",
    "name": TOKEN_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 1000},
    "description": "The visitor token of this conversation (from POST /conversations).",
}


class TooMany(ServiceError):
    status = 429


# --- shared by the API and the stream: CORS, size bound, visitor token ------------


def _origin_allowed(origin):
    if not origin:
        return True  # not a browser cross-origin request
    if origin == request.host_url.rstrip("/"):
        return True
    return origin in convs.settings()["allowed_origins"]


def check_origin():
    """Refuse (403) a browser page from an origin the merchant did not allow."""
    if not _origin_allowed(request.headers.get("Origin")):
        raise Denied(_("This website may not use the chat."), code="origin_not_allowed")


def guard():
    """Before every widget request: the body bound and the origin check."""
    request.max_content_length = MAX_BODY
    try:
        check_origin()
    except Denied as refused:
        return error_response(403, refused.code, refused.message)
    return None


def cors_headers():
    """The CORS headers for this request's origin (none for another origin)."""
    origin = request.headers.get("Origin")
    if not (origin and _origin_allowed(origin)):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": f"Content-Type, {TOKEN_HEADER}, Last-Event-ID",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def cors(response):
    """After every widget request: CORS headers for an allowed origin."""
    headers = cors_headers()
    vary = headers.pop("Vary", None)
    response.headers.update(headers)
    if vary:
        response.vary.add(vary)
    return response


def limit(bucket, key, count):
    """Refuse (429) past ``count`` requests a minute for ``key``. The counts
    are the app's shared rate-limit storage (Redis at scale), so the limit
    holds across workers and hosts."""
    if not within_limit(f"webchat-{bucket}", key, f"{count} per minute"):
        raise TooMany(_("Too many requests; slow down."), code="rate_limited")


def conversation(cid, query_token=None):
    """The conversation ``cid`` if the request's visitor token opens it
    (401 without or with a bad token, 403 for another conversation's)."""
    return convs.conversation_for(request.headers.get(TOKEN_HEADER) or query_token, cid)


bp.before_request(guard)
bp.after_request(cors)


# --- the operations -------------------------------------------------------------------


@bp.get("/config")
@require(PUBLIC, csrf=False)
@bp.arguments(schemas.ConfigQuery, location="query")
@bp.response(200, schemas.WidgetConfig)
def config(query):
    """Title, colors, texts and whether the team is available now."""
    limit("config", request.remote_addr, 120)
    return convs.widget_config(query["key"])


@bp.post("/conversations")
@require(PUBLIC, csrf=False)
@bp.arguments(schemas.StartConversation)
@bp.response(201, schemas.ConversationStarted)
def start_conversation(data):
    """Start a conversation; answers its id and the visitor token. Its
    ticket is created by the first message. With ``identity`` (the
    storefront's signature of its logged-in customer) the chat is that
    customer's; a bad or expired signature is refused (401), never ignored."""
    limit("start", request.remote_addr, 20)
    started, token = convs.start(
        data["key"], data["name"], data["email"], data["page_url"], data["visitor_id"], identity=data["identity"]
    )
    return {
        "conversation_id": started.public_id,
        "visitor_id": started.visitor_id,
        "token": token,
        "signed_in": bool(started.customer_id or started.email_verified),
    }


@bp.get(f"/conversations/{CID}/messages")
@require(PUBLIC, csrf=False)
@bp.doc(parameters=[TOKEN_PARAMETER])
@bp.arguments(schemas.MessagesQuery, location="query")
@bp.response(200, schemas.VisitorMessages)
def list_messages(query, cid):
    """Messages the visitor may see (theirs and public replies, never notes),
    with ids above ``after``; ``closed`` once the ticket is closed."""
    found = conversation(cid, query.get("token"))
    limit("read", cid, 120)
    # Not marked seen here: only the widget's confirmation counts (heartbeat).
    messages = convs.public_messages(found.ticket_id, after=query["after"])
    closed = found.ticket_id is not None and found.ticket.status == "closed"
    return {"messages": messages, "closed": closed}


@bp.post(f"/conversations/{CID}/messages")
@require(PUBLIC, csrf=False)
@bp.doc(parameters=[TOKEN_PARAMETER])
@bp.arguments(schemas.PostMessage)
@bp.response(201, schemas.PostedMessage)
def post_message(data, cid):
    """A visitor message; resending the same ``client_id`` is harmless. When
    the conversation was closed the answer names the new conversation and
    its token, which the widget switches to."""
    found = conversation(cid)
    limit("post", found.visitor_id, 30)
    message, target = convs.post_message(found, data["client_id"], data["text"])
    body = {"message": convs.serialize(message), "conversation_id": target.public_id}
    if target.id != found.id:
        body["token"] = convs.make_token(target)
    return body


@bp.post(f"/conversations/{CID}/typing")
@require(PUBLIC, csrf=False)
@bp.doc(parameters=[TOKEN_PARAMETER])
@bp.response(204)
def typing(cid):
    """The visitor is typing (agents see it for a few seconds)."""
    found = conversation(cid)
    limit("typing", cid, 60)
    convs.visitor_typing(found)


@bp.post(f"/conversations/{CID}/heartbeat")
@require(PUBLIC, csrf=False)
@bp.doc(parameters=[TOKEN_PARAMETER])
@bp.arguments(schemas.Heartbeat)
@bp.response(204)
def heartbeat(data, cid):
    """The visitor's page is still open; ``last_seen_id`` is the last message
    it shows: the only thing that counts a reply as seen (no follow-up email
    for it)."""
    found = conversation(cid)
    limit("heartbeat", cid, 30)
    convs.heartbeat(found, data["last_seen_id"])
