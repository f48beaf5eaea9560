"""The ticket page's "Merge" card: merge this ticket into another ticket of
the same customer (a searchable picker, then a confirmation page), and the
"Merged into #N" banner with Undo while the window lasts (partials
``web/_merge.html`` and ``web/_merged_banner.html``)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..models import Ticket
from ..services import NotFound, ServiceError
from ..services import merge as merge_service
from .blueprint import bp
from .helpers import done, failed

PICKER_SIZE = 50


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
    return {"into": None, "undo_until": None, "candidates": merge_service.candidates(ticket, limit=PICKER_SIZE)}


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


def init_jinja(app):
    app.jinja_env.globals["merge_state"] = merge_state
