"""Tickets: lists (views, filters, keyset pages), one ticket with its
overview, changes, the message thread, replies and notes, bulk actions."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..auth import current_agent as current
from ..auth import require
from ..models import Agent, Message, Ticket
from ..permissions import can
from ..services import collision, idempotency
from ..services import merge as merge_service
from ..services import messages as message_service
from ..services import tickets as ticket_service
from ..services import views as view_service
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_tickets", __name__, url_prefix="/api/v1", description="Tickets and their messages")


def _detail(ticket):
    ticket = Ticket.get_by_id(ticket.id)  # fresh: services may have changed it
    view_service.annotate(current(), [ticket])
    refusal = message_service.refusal_for(ticket)
    ticket.can_reply = refusal is None
    ticket.reply_refusal = {"code": refusal.code, "message": str(refusal.message)} if refusal else None
    ticket.profile_ticket_count = Ticket.select().where(Ticket.profile == ticket.profile_id).count()
    into = merge_service.merged_into(ticket) if ticket.closed_reason == "merged" else None
    ticket.merged_into_id = into.id if into else None
    return ticket


@bp.get("/tickets")
@require("inbox")
# An instance, shared: given the class, webargs builds one per request (0.12 ms).
@bp.arguments(s.TicketListQuery(), location="query", as_kwargs=True)
@bp.response(200, s.TicketPage)
def list_tickets(view, order, limit, sort=None, cursor=None, q=None, **filters):
    """List the tickets of a view, filtered, one keyset page at a time.

    The next page is ``?cursor=<next_cursor>`` with the same view, filters
    and sort; ``next_cursor`` is null on the last page. ``q`` searches
    (full text, ranked): subjects, every message, customer fields."""
    if q:
        filters["text"] = q
    rows, next_cursor = view_service.list_tickets(
        current(), view=view, filters=filters, sort=sort, order=order, limit=limit, cursor=cursor
    )
    # A Response passes flask-smorest's dump by: ticket_page writes out what
    # s.TicketPage (the documented schema) would dump, at a tenth of the CPU.
    return jsonify(s.ticket_page(rows, next_cursor))


@bp.get("/tickets/<dbid:ticket_id>")
@require("inbox")
@bp.response(200, s.TicketDetailSchema)
def get_ticket(ticket_id):
    """One ticket with its overview (assignee, tags, customer and their
    ticket count, whether a reply is possible now)."""
    return _detail(ticket_service.get(ticket_id))


@bp.patch("/tickets/<dbid:ticket_id>")
@require("inbox")
@bp.arguments(s.TicketPatch)
@bp.response(200, s.TicketDetailSchema)
def patch_ticket(changes, ticket_id):
    """Change status (``snoozed`` needs ``snoozed_until``), assignee
    (``null`` unassigns) and the set of tags."""
    ticket = ticket_service.get(ticket_id)
    actor = current()
    assignee = None
    # Check everything that can be refused before changing anything, so a
    # refused request leaves the ticket as it was.
    if changes.get("assignee_id") is not None:
        assignee = Agent.get_or_none(Agent.id == changes["assignee_id"])
        if assignee is None or not can(assignee, "inbox"):
            raise ApiError(
                422,
                _("Agent %(id)s cannot be assigned tickets.", id=changes["assignee_id"]),
                code="invalid",
                field="assignee_id",
            )
    status = changes.get("status") or ("snoozed" if changes.get("snoozed_until") else None)
    if status is not None:
        ticket = ticket_service.set_status(ticket, status, actor=actor, snoozed_until=changes.get("snoozed_until"))
    if "assignee_id" in changes:
        ticket = ticket_service.assign(ticket, assignee, actor=actor)
    if "tags" in changes:
        ticket_service.change_tags(ticket, replace=changes["tags"], actor=actor)
    return _detail(ticket)


@bp.get("/tickets/<dbid:ticket_id>/messages")
@require("inbox")
@bp.arguments(s.MessageQuery, location="query", as_kwargs=True)
@bp.response(200, s.MessagePage)
def list_messages(ticket_id, limit, before=None):
    """The thread, oldest first: the last ``limit`` messages, or those older
    than message ``before``. Notes are included (agents only see this)."""
    ticket = ticket_service.get(ticket_id)
    rows, more = message_service.thread(ticket, limit=limit, before=before)
    for row in rows:
        row.author = row.author_agent if row.author_agent_id else None
    return {"items": rows, "has_more": more, "before": rows[0].id if more and rows else None}


@bp.post("/tickets/<dbid:ticket_id>/messages")
@require("inbox")
@bp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
            "description": "Any unique string (a UUID): a retry with the same key and body answers the "
            "message the first request made instead of creating another (kept 24 hours)",
        }
    ]
)
@bp.arguments(s.MessageCreate)
@bp.response(201, s.MessageSchema)
@bp.alt_response(
    409,
    response="CONFLICT",
    description="The channel refuses the reply (reason and code), or another public reply was sent after "
    "``after_message_id`` (code ``newer_reply``)",
)
def post_message(body, ticket_id):
    """A public reply on the ticket's channel (delivered through the outbox)
    or an internal note (never delivered). A refused reply answers 409 with
    the channel's reason. With ``after_message_id`` a reply answers 409
    ``newer_reply`` when someone else's public reply was sent after that
    message (read it, then send again with its id). With an
    ``Idempotency-Key`` header a retry of the same request answers the
    message the first one made (header ``Idempotent-Replayed: true``)
    instead of sending it twice."""
    ticket = ticket_service.get(ticket_id)
    agent = current()

    def create():
        if body["kind"] == "reply":
            # Inside create(): a replayed Idempotency-Key answers what it
            # made, whatever was sent since.
            collision.check_no_newer_reply(ticket, agent, body.get("after_message_id"))
            return message_service.reply(ticket, agent, body["text"], html=body.get("html"))
        return message_service.add_note(ticket, agent, body["text"], html=body.get("html"))

    key = request.headers.get(idempotency.HEADER)
    headers = {}
    if key is None:
        message = create()
    else:
        print_ = idempotency.fingerprint(request.method, request.path, body)
        message, replayed = idempotency.once(
            agent, idempotency.check_key(key), print_, create, lambda id_: Message.get_by_id(id_)
        )
        if replayed:
            headers["Idempotent-Replayed"] = "true"
    message.author = message.author_agent if message.author_agent_id else None
    return message, 201, headers


@bp.put("/tickets/<dbid:ticket_id>/read")
@require("inbox")
@bp.arguments(s.ReadBody)
@bp.response(204)
def mark_read(body, ticket_id):
    """Mark the ticket read for you, up to a message id of this ticket
    (default: its latest customer message); the marker never moves
    backwards."""
    ticket = ticket_service.get(ticket_id)
    message_id = body.get("message_id")
    # The marker is an id: one past this thread (another ticket's message,
    # a guess) would mark messages not written yet as read.
    if (
        message_id is not None
        and not Message.select().where((Message.id == message_id) & (Message.ticket == ticket.id)).exists()
    ):
        raise ApiError(
            400, _("Message %(id)s is not part of this ticket.", id=message_id), code="not_found", field="message_id"
        )
    view_service.mark_read(current(), ticket, message_id)
    return None


@bp.post("/tickets/bulk")
@require("inbox")
@bp.arguments(s.BulkRequest)
@bp.response(200, s.BulkResponse)
def bulk(body):
    """Apply one action to many tickets, chosen by ``ids`` or by a view and
    filters (at most 1000); answers one result per ticket."""
    agent = current()
    if body.get("ids"):
        ids = body["ids"]
    else:
        ids = view_service.ticket_ids(
            agent, body.get("view") or "all", body.get("filters"), limit=ticket_service.MAX_BULK + 1
        )
        if len(ids) > ticket_service.MAX_BULK:
            raise ApiError(
                422,
                _("At most %(n)d tickets at once; narrow the filters.", n=ticket_service.MAX_BULK),
                code="too_many",
                field="filters",
            )
    params = {"assignee_id": body.get("assignee_id"), "tags": body.get("tags") or (), "until": body.get("until")}
    results = ticket_service.bulk(ids, body["action"], agent, params)
    items = [
        {"id": tid, "ok": outcome == "ok", "error": None if outcome == "ok" else str(outcome)}
        for tid, outcome in results.items()
    ]
    ok = sum(1 for item in items if item["ok"])
    return {"results": items, "succeeded": ok, "failed": len(items) - ok}
