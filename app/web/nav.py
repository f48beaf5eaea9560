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


def shown(count, exact):
    """A count as the navigation shows it: "999+" past what was counted."""
    return str(count) if exact or count < views.COUNT_CAP else _("%(n)s+", n=views.COUNT_CAP - 1)


def nav_data(agent):
    """Everything the navigation shows, as plain data (also sent as JSON).
    Two queries whatever the number of views: the saved views, then every
    count and the unread badge (unread in My inbox plus Unassigned; closed
    tickets never nag) together. Counts come from counter rows kept at
    write time (``app.models.tally``), so their cost does not grow with the
    tickets; a saved view that no counter answers (search text, dates,
    customer) is counted up to ``views.COUNT_CAP`` and shown as "999+"."""
    saved_views = views.visible_views(agent)
    badge = unread_badge_enabled()
    # "All tickets" counts what is still open; its list shows every status.
    filter_sets = [views.merged_filters(agent, key, OPEN if key == "all" else None) for key, _label in builtin_views()]
    filter_sets += [dict(view.filters) for view in saved_views]
    counted, unread = views.counts(agent, filter_sets, ("mine", "unassigned") if badge else ())
    items = [
        {"key": key, "label": label, "url": url_for("web.inbox", view=key), "count": n, "shown": shown(n, True)}
        for (key, label), n in zip(builtin_views(), counted)
    ]
    saved = [
        {
            "key": str(view.id),
            "label": view.name,
            "shared": view.shared,
            "url": url_for("web.inbox", view=view.id),
            "count": n,
            "shown": shown(n, views.count_is_exact(view.filters)),
        }
        for view, n in zip(saved_views, counted[len(items) :])
    ]
    return {"items": items, "saved": saved, "unread_badge": badge, "unread": sum(unread) if badge else None}


@bp.get("/nav/counts")
@require("inbox")
def nav_counts():
    """The navigation counts, refreshed by the page on live events."""
    data = nav_data(current_agent())
    return jsonify(
        counts={i["key"]: i["count"] for i in data["items"] + data["saved"]},
        # what to show: "999+" for a count that stopped at views.COUNT_CAP
        shown={i["key"]: i["shown"] for i in data["items"] + data["saved"]},
        unread_badge=data["unread_badge"],
        unread=data["unread"],
    )
