"""The notifications list, the bell in the top bar, and the agent's
notification choices (``/account/notifications``)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..permissions import can
from ..services import notifications
from ..validation import valid_id
from .blueprint import bp
from .helpers import done

PAGE = 25


def describe(n) -> str:
    """What a notification says, in the agent's language."""
    by = n.actor.name if n.actor is not None else ""
    if n.kind == "assigned":
        if by:
            return _("%(by)s assigned ticket #%(id)s to you", by=by, id=n.ticket_id)
        return _("Ticket #%(id)s was assigned to you", id=n.ticket_id)
    if n.kind == "mention":
        return _("%(by)s mentioned you on ticket #%(id)s", by=by, id=n.ticket_id)
    if n.kind == "reply":
        return _("The customer replied on ticket #%(id)s", id=n.ticket_id)
    return _("New ticket #%(id)s", id=n.ticket_id)


def bell_context():
    """``notification_bell()`` for the top bar: the unread count and the
    agent's sound and desktop choices (two indexed queries, only when a
    page with the top bar asks)."""

    def bell():
        agent = current_agent()
        if agent is None or not can(agent, "inbox"):
            return None
        prefs = notifications.preferences(agent)
        return {"unread": notifications.unread_count(agent), "sound": prefs["sound"], "desktop": prefs["desktop"]}

    return {"notification_bell": bell}


@bp.get("/notifications")
@require("inbox")
def notification_list():
    """My notifications, newest first, a page at a time (``?cursor=``)."""
    agent = current_agent()
    cursor = request.args.get("cursor", type=int)
    if cursor is not None and not valid_id(cursor):
        cursor = None
    rows, next_cursor = notifications.page(agent, limit=PAGE, cursor=cursor)
    return render_template(
        "web/notifications.html",
        items=[(n, describe(n)) for n in rows],
        next_cursor=next_cursor,
        first_page=cursor is None,
        unread=notifications.unread_count(agent),
    )


@bp.post("/notifications/read-all")
@require("inbox")
def notifications_read_all():
    """Mark every notification of mine read."""
    n = notifications.mark_all_read(current_agent())
    return done(url_for("web.notification_list"), _("Marked %(n)d notifications read.", n=n), unread=0)


@bp.route("/account/notifications", methods=["GET", "POST"])
@require("inbox")
def account_notifications():
    """My notification choices: sound, desktop notifications, which kinds."""
    agent = current_agent()
    if request.method == "POST":
        notifications.save_preferences(
            agent,
            sound=request.form.get("sound") == "1",
            desktop=request.form.get("desktop") == "1",
            kinds=request.form.getlist("kinds")[: len(notifications.KINDS)],
        )
        return done(url_for("web.account_notifications"), _("Notification choices saved."))
    return render_template(
        "web/account_notifications.html", prefs=notifications.preferences(agent), kinds=notifications.KINDS
    )
