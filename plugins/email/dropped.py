"""The mail the loop guard dropped, listed for admins so that a support
address behind a mailing list or an over-eager filter is never silently
deaf. Rows are kept 30 days (``tasks.purge_dropped``)."""

from flask_babel import lazy_gettext as _l

from app.plugin import ServiceError

from .models import DroppedEmail

REASONS = {
    "auto_submitted": _l("Auto-Submitted header (auto-reply, vacation notice)"),
    "precedence": _l("Precedence: bulk, junk, list or auto_reply (mailing list, newsletter)"),
    "autoreply_header": _l("X-Autoreply or X-Autorespond header"),
    "bounce": _l("Delivery report or bounce"),
    "own_mail": _l("Mail sent by Helpline or from a support address"),
}
MAX_ID = 2**63 - 1


def page(limit=50, cursor=None):
    """``(rows, next_cursor)``: newest first, keyset-paged on the id (ids
    grow with arrival time). A cursor that is not an id is refused."""
    query = DroppedEmail.select().order_by(DroppedEmail.id.desc()).limit(limit + 1)
    if cursor:
        if not str(cursor).isdigit() or not 0 < int(cursor) <= MAX_ID:
            raise ServiceError(_l("The cursor is not valid."), code="invalid_cursor", field="cursor")
        query = query.where(DroppedEmail.id < int(cursor))
    rows = list(query)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def why(reason):
    """The reason a row was dropped, in words."""
    return REASONS.get(reason, reason)
