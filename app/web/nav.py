"""The left navigation: built-in views and saved views with their counts,
and the unread badge (when the general setting shows it)."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..plugins import get_plugins
from ..services import views
from .blueprint import bp

OPEN = {"status": ["open"]}


def builtin_views():
    """``[(key, label)]`` of the built-in views, in navigation order."""
    return [("mine", _("My inbox")), ("unassigned", _("Unassigned")), ("all", _("All tickets"))]


def unread_badge_enabled():
    return bool(get_plugins().get_settings("core").get("unread_badge", True))


def unread_total(agent):
    """Tickets waiting for this agent: unread in My inbox plus Unassigned
    (closed tickets never nag)."""
    return views.unread_count(agent, "mine") + views.unread_count(agent, "unassigned")


def nav_data(agent):
    """Everything the navigation shows, as plain data (also sent as JSON)."""
    items = []
    for key, label in builtin_views():
        # "All tickets" counts what is still open; its list shows every status.
        extra = OPEN if key == "all" else None
        items.append(
            {"key": key, "label": label, "url": url_for("web.inbox", view=key), "count": views.count(agent, key, extra)}
        )
    saved = []
    for view in views.visible_views(agent):
        saved.append(
            {
                "key": str(view.id),
                "label": view.name,
                "shared": view.shared,
                "url": url_for("web.inbox", view=view.id),
                "count": views.count(agent, view.id),
            }
        )
    badge = unread_badge_enabled()
    return {"items": items, "saved": saved, "unread_badge": badge, "unread": unread_total(agent) if badge else None}


@bp.get("/nav/counts")
@require("inbox")
def nav_counts():
    """The navigation counts, refreshed by the page on live events."""
    data = nav_data(current_agent())
    return jsonify(
        counts={i["key"]: i["count"] for i in data["items"] + data["saved"]},
        unread_badge=data["unread_badge"],
        unread=data["unread"],
    )
