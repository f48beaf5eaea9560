"""The ticket page's "Automatic actions" card: which rule changed the
ticket and why, with Undo while it is possible (one partial template,
``web/_automation.html``, included by the sidebar)."""

from flask import url_for
from flask_babel import gettext as _

from ..api.activities import present
from ..auth import current_agent, require
from ..models import Activity
from ..services import ServiceError
from ..services import undo as undo_service
from ..services.reasons import KEY
from .blueprint import bp
from .helpers import done, failed

SHOWN = 5


def automatic_actions(ticket_id):
    """The latest automatic actions of a ticket (newest first), each with
    ``reason`` and ``undo_until``. Reads the activity trail by its
    ``(ticket, created_at)`` index, at most 50 entries."""
    rows = (
        Activity.select()
        .where(Activity.ticket == ticket_id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(50)
    )
    return [present(a) for a in rows if (a.data or {}).get(KEY)][:SHOWN]


@bp.post("/t/<int:ticket_id>/activities/<int:activity_id>/undo")
@require("inbox")
def undo_automatic(ticket_id, activity_id):
    """The card's Undo button (the API's POST .../activities/<id>/undo)."""
    page = url_for("web.ticket_page", ticket_id=ticket_id)
    try:
        undo_service.undo(ticket_id, activity_id, current_agent())
    except ServiceError as exc:
        return failed(page, exc.message, status=exc.status, code=exc.code)
    return done(page, _("Undone."))


def init_jinja(app):
    app.jinja_env.globals["automatic_actions"] = automatic_actions
