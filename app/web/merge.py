"""The ticket page's "Merge" card: merge this ticket into another ticket of
the same customer (a searchable picker, then a confirmation page), the
"Merged into #N" banner with Undo while the window lasts, and "Split from
here" under each message but the first (partials ``web/_merge.html``,
``web/_merged_banner.html``, ``web/_split_button.html``)."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..clock import utc_iso
from ..models import Message, Ticket
from ..services import NotFound, ServiceError
from ..services import merge as merge_service
from .blueprint import bp
from .helpers import done, failed, localtime

#: Suggestions per page of the picker (the search box finds the rest).
PICKER_SIZE = 20


def merge_state(ticket):
    """What the card and the banner show: ``into`` and ``undo_until`` for a
    merged ticket, else the tickets it can be merged into."""
    activity = merge_service.merge_activity(ticket)
    if activity is not None:
        return {
            "into": Ticket.get_or_none(Ticket.id == activity.data["into"]),
            "undo_until": merge_service.unmerge_until(activity),
            "candidates": [],
        }
    rows, _next = merge_service.candidates(ticket, limit=PICKER_SIZE)
    return {"into": None, "undo_until": None, "candidates": rows}


class CandidatesQuery(ma.Schema):
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500))

    class Meta:
        unknown = ma.EXCLUDE


def _label(t):
    return f"#{t.id} {(t.subject or t.last_message_preview or '')[:80]}".strip()


@bp.get("/t/<dbid:ticket_id>/merge/candidates")
@require("inbox")
def merge_candidates(ticket_id):
    """The picker's suggestions as JSON: this customer's other tickets
    (``?q=`` a number, words of the subject or messages), a keyset page at
    a time (``?cursor=`` the previous ``next_cursor``)."""
    try:
        ticket = merge_service.get_ticket(ticket_id)
    except NotFound:
        abort(404)
    args = CandidatesQuery().load(request.args)  # refused: the one error answer (422)
    rows, next_cursor = merge_service.candidates(ticket, args["q"], limit=PICKER_SIZE, cursor=args["cursor"])
    statuses = {"open": _("Open"), "snoozed": _("Snoozed"), "closed": _("Closed")}
    items = [
        {
            "id": t.id,
            "label": _label(t),
            "status": t.status,
            "status_label": statuses.get(t.status, t.status),
            "updated_at": utc_iso(t.updated_at),
            "updated_label": localtime(t.updated_at),
        }
        for t in rows
    ]
    return jsonify(items=items, next_cursor=next_cursor)


def _target_id(raw):
    """The ticket number in the picker's text ("#12 Where is my order?", "12")."""
    raw = (raw or "").strip().lstrip("#")
    digits = raw.split(" ", 1)[0]
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


@bp.post("/t/<dbid:ticket_id>/merge")
@require("inbox")
def merge_ticket(ticket_id):
    """First post: the confirmation page; with ``confirm=1``: merge."""
    page = url_for("web.ticket_page", ticket_id=ticket_id)
    into_id = _target_id(request.form.get("into"))
    if into_id is None:
        return failed(page, _("Choose the ticket to merge into by its number."), field="into")
    try:
        source = merge_service.get_ticket(ticket_id)
        into = merge_service.get_ticket(into_id)
        if request.form.get("confirm") != "1":
            if into.profile_id != source.profile_id or into.id == source.id:
                # Let the service say why, before asking to confirm.
                merge_service.merge(ticket_id, into_id, current_agent())
            hours = int(merge_service.window().total_seconds() // 3600)
            return render_template("web/merge_confirm.html", ticket=source, into=into, hours=hours)
        merge_service.merge(ticket_id, into_id, current_agent())
    except ServiceError as exc:
        if isinstance(exc, NotFound) and exc.field is None and into_id != ticket_id:
            exc = ServiceError(_("Ticket %(id)s does not exist.", id=into_id), field="into")
        return failed(page, exc.message, field=exc.field, status=exc.status, code=exc.code)
    return done(
        url_for("web.ticket_page", ticket_id=into_id), _("Ticket #%(a)s merged into #%(b)s.", a=ticket_id, b=into_id)
    )


@bp.post("/t/<dbid:ticket_id>/unmerge")
@require("inbox")
def unmerge_ticket(ticket_id):
    """The banner's Undo merge button."""
    page = url_for("web.ticket_page", ticket_id=ticket_id)
    try:
        merge_service.unmerge(ticket_id, current_agent())
    except ServiceError as exc:
        return failed(page, exc.message, status=exc.status, code=exc.code)
    return done(page, _("Merge undone: the messages are back on this ticket."))


def split_first_id(ticket):
    """The id of the ticket's first message (time order), once per request."""
    cache = g.setdefault("split_first_ids", {})
    if ticket.id not in cache:
        first = (
            Message.select(Message.id)
            .where(Message.ticket == ticket.id)
            .order_by(Message.created_at, Message.id)
            .first()
        )
        cache[ticket.id] = first.id if first else None
    return cache[ticket.id]


@bp.post("/t/<dbid:ticket_id>/split")
@require("inbox")
def split_ticket(ticket_id):
    """First post: the confirmation page; with ``confirm=1``: split, then
    show the new ticket."""
    page = url_for("web.ticket_page", ticket_id=ticket_id)
    raw = request.form.get("message_id", "")
    if not raw.isdigit() or len(raw) > 12:
        return failed(page, _("Choose the message to split from."), field="message_id")
    message_id = int(raw)
    try:
        ticket = merge_service.get_ticket(ticket_id)
        if request.form.get("confirm") != "1":
            message = Message.get_or_none((Message.id == message_id) & (Message.ticket == ticket.id))
            if message is None:
                raise ServiceError(_("Message %(id)s is not part of this ticket.", id=message_id), field="message_id")
            later = (
                Message.select()
                .where(
                    (Message.ticket == ticket.id)
                    & (
                        (Message.created_at > message.created_at)
                        | ((Message.created_at == message.created_at) & (Message.id > message.id))
                    )
                )
                .count()
            )
            return render_template("web/split_confirm.html", ticket=ticket, message=message, later=later)
        new = merge_service.split(ticket_id, message_id, current_agent())
    except ServiceError as exc:
        return failed(page, exc.message, field=exc.field, status=exc.status, code=exc.code)
    return done(url_for("web.ticket_page", ticket_id=new.id), _("Split from #%(a)s into this new ticket.", a=ticket_id))


def init_jinja(app):
    app.jinja_env.globals["merge_state"] = merge_state
    app.jinja_env.globals["split_first_id"] = split_first_id
