"""Ticket lists: the built-in and saved views, status tabs, filters, sort,
"load more" on the keyset cursor, bulk actions and saving a view."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import current_agent, require
from ..clock import now
from ..models import Agent, Tag
from ..models.agent import INBOX_ROLES
from ..permissions import can
from ..plugins import get_plugins
from ..services import Forbidden, NotFound, ServiceError, tickets, views
from ..validation import Id
from .blueprint import bp
from .helpers import done, failed, safe_next
from .nav import builtin_views

STATUSES = ("open", "snoozed", "closed")
SORTS = {
    "updated-desc": ("updated", "desc"),
    "updated-asc": ("updated", "asc"),
    "created-desc": ("created", "desc"),
    "created-asc": ("created", "asc"),
    "relevance": ("relevance", "asc"),
}
PAGE_SIZE = 25
SNOOZE_PRESETS = ("1h", "4h", "1d", "3d", "1w")


class ListQuery(ma.Schema):
    """The query string of a list page (everything optional, all bounded)."""

    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES + ("any",)))
    channel = ma.fields.String(validate=ma.validate.Length(max=32))
    assignee = ma.fields.String(
        validate=ma.validate.Regexp(r"^(|me|none|\d{1,12})$", error=_l("Use me, none or an agent id."))
    )
    tag = ma.fields.String(validate=ma.validate.Length(max=64))
    q = ma.fields.String(validate=ma.validate.Length(max=200))
    created_from = ma.fields.Date()
    created_to = ma.fields.Date()
    sort = ma.fields.String(validate=ma.validate.OneOf(tuple(SORTS)))
    cursor = ma.fields.String(validate=ma.validate.Length(max=400))


def parse_query(args):
    """``(clean query, errors)``: invalid fields are dropped and reported."""
    raw = {k: v for k, v in args.items() if k in ListQuery._declared_fields and v != ""}
    try:
        return ListQuery().load(raw), {}
    except ma.ValidationError as err:
        return err.valid_data or {}, err.messages


def to_filters(query, base):
    """Service filters for a list: the view's own, overridden by the page's."""
    filters = dict(base)
    status = query.get("status")
    if status == "any":
        filters.pop("status", None)
    elif status:
        filters["status"] = [status]
    if query.get("channel"):
        filters["channel"] = [query["channel"]]
    if query.get("assignee"):
        filters["assignee"] = query["assignee"]
    if query.get("tag"):
        filters["tag"] = query["tag"]
    if query.get("q"):
        filters["text"] = query["q"]
    if query.get("created_from"):
        filters["created_after"] = dt.datetime.combine(query["created_from"], dt.time())
    if query.get("created_to"):  # the "to" date is inclusive
        filters["created_before"] = dt.datetime.combine(query["created_to"] + dt.timedelta(days=1), dt.time())
    return filters


def current_status(query, base):
    if query.get("status"):
        return query["status"]
    statuses = base.get("status") or []
    return statuses[0] if len(statuses) == 1 else "any"


def inbox_agents():
    """Agents who may hold tickets, for pickers."""
    return list(Agent.select().where((Agent.is_active == True) & Agent.role.in_(INBOX_ROLES)).order_by(Agent.name))


def _view_or_404(agent, view):
    if view in views.BUILTIN_VIEWS:
        return view, None
    try:
        return view, views.get_saved_view(agent, view)
    except (NotFound, ServiceError):
        abort(404)


def _page(agent, view, query):
    """``(rows, next cursor, the view's own filters)`` for a list request."""
    base = views.view_filters(agent, view)
    # A search lists best matches first unless another order is chosen.
    sort, order = SORTS[query.get("sort") or ("relevance" if query.get("q") else "updated-desc")]
    if sort == "relevance" and not query.get("q"):
        sort, order = SORTS["updated-desc"]
    # The status tab replaces the view's status; "any" removes it.
    rows, cursor = views.list_tickets(
        agent,
        view="all",
        filters=to_filters(query, base),
        sort=sort,
        order=order,
        limit=PAGE_SIZE,
        cursor=query.get("cursor"),
    )
    return rows, cursor, base


def _list_request(view):
    """``(agent, view, saved view or None, query, query errors)`` of a list
    page or its rows; 404 for a view the agent cannot see."""
    agent = current_agent()
    view, saved = _view_or_404(agent, view)
    query, errors = parse_query(request.args)
    return agent, view, saved, query, errors


@bp.get("/inbox/<view>")
@require("inbox")
def inbox(view):
    """A list page: tabs, filters, the first page of rows, the bulk bar."""
    agent, view, saved, query, errors = _list_request(view)
    try:
        rows, cursor, base = _page(agent, view, query)
    except ServiceError as exc:
        query.pop("cursor", None)
        errors = {exc.field or "cursor": [exc.message]}
        rows, cursor, base = _page(agent, view, query)
    titles = dict(builtin_views())
    args = {k: v for k, v in request.args.items() if k in ListQuery._declared_fields and k != "cursor"}
    return render_template(
        "web/inbox.html",
        view=view,
        saved=saved,
        title=saved.name if saved else titles[view],
        rows=rows,
        cursor=cursor,
        query=query,
        errors=errors,
        args=args,
        status=current_status(query, base),
        statuses=STATUSES,
        sort=query.get("sort", ""),
        channels=sorted(get_plugins().channels),
        agents=inbox_agents(),
        tags=[t.name for t in Tag.select(Tag.name).order_by(Tag.name).limit(200)],
        snooze_presets=SNOOZE_PRESETS,
        can_share=can(agent, "shared_views"),
    )


@bp.get("/inbox/<view>/rows")
@require("inbox")
def inbox_rows(view):
    """The next page (or a refreshed first page) of rows, for scripts."""
    agent, view, _saved, query, _errors = _list_request(view)
    rows, cursor, _base = _page(agent, view, query)  # a bad cursor: the one error answer
    html = render_template("web/_rows.html", rows=rows, view=view)
    return jsonify(html=html, next_cursor=cursor, count=len(rows))


class BulkSchema(ma.Schema):
    ids = ma.fields.List(Id(), required=True, validate=ma.validate.Length(min=1, max=tickets.MAX_BULK))
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(tickets.BULK_ACTIONS))
    assignee_id = Id()
    tags = ma.fields.String(validate=ma.validate.Length(max=500))
    snooze = ma.fields.String(validate=ma.validate.OneOf(SNOOZE_PRESETS))
    next = ma.fields.String(validate=ma.validate.Length(max=2000))


@bp.post("/inbox/bulk")
@require("inbox")
def bulk():
    """One action on the selected tickets; reports how many succeeded."""
    agent = current_agent()
    back = safe_next(request.form.get("next"), url_for("web.inbox", view="mine"))
    raw = request.form.to_dict()
    raw["ids"] = request.form.getlist("ids")
    raw = {k: v for k, v in raw.items() if v not in ("", None)}
    try:
        data = BulkSchema().load(raw, unknown=ma.EXCLUDE)
    except ma.ValidationError as err:
        if "ids" in err.messages:
            return failed(back, _("Select at least one ticket."), field="ids")
        field, messages = next(iter(err.messages.items()))
        return failed(back, "; ".join(messages) if isinstance(messages, list) else str(messages), field=field)
    params = {}
    if data["action"] == "assign":
        params["assignee_id"] = data.get("assignee_id")
    if data["action"] in ("tag", "untag"):
        params["tags"] = [t for t in (data.get("tags") or "").split(",") if t.strip()]
        if not params["tags"]:
            return failed(back, _("Type the tags to apply, separated by commas."), field="tags")
    if data["action"] == "snooze":
        if not data.get("snooze"):
            return failed(back, _("Choose how long to snooze."), field="snooze")
        params["until"] = now() + tickets.parse_duration(data["snooze"])
    try:
        results = tickets.bulk(data["ids"], data["action"], agent, params)
    except ServiceError as exc:
        return failed(back, exc.message, field=exc.field)
    ok = sum(1 for r in results.values() if r == "ok")
    problems = [f"#{tid}: {r}" for tid, r in results.items() if r != "ok"]
    message = _("%(ok)d of %(n)d tickets updated.", ok=ok, n=len(results))
    if problems:
        return failed(back, message + " " + "; ".join(problems[:5]), status=207 if ok else 400, code="partial")
    return done(back, message, results={str(k): v for k, v in results.items()})


class SaveViewSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    shared = ma.fields.Boolean(load_default=False)


@bp.post("/inbox/<view>/save")
@require("inbox")
def save_view(view):
    """Save the filters in force on a list page as a personal or shared view."""
    agent = current_agent()
    view, _saved = _view_or_404(agent, view)
    back = url_for("web.inbox", view=view, **{k: v for k, v in request.args.items()})
    try:
        data = SaveViewSchema().load(
            {"name": request.form.get("name", "").strip(), "shared": request.form.get("shared") == "1"}
        )
    except ma.ValidationError:
        return failed(back, _("A view needs a name of at most 100 characters."), field="name")
    query, _errors = parse_query(request.args)
    filters = to_filters(query, views.view_filters(agent, view))
    try:
        saved = views.create_view(agent, data["name"], views.FilterSchema().dump(filters), shared=data["shared"])
    except Forbidden as exc:
        return failed(back, str(exc), field="shared", status=403)
    except (ServiceError, ma.ValidationError) as exc:
        return failed(back, getattr(exc, "message", None) or str(exc), field="name")
    return done(url_for("web.inbox", view=saved.id), _("View “%(name)s” saved.", name=saved.name))


@bp.post("/views/<dbid:view_id>/delete")
@require("inbox")
def delete_view(view_id):
    agent = current_agent()
    try:
        views.delete_view(agent, views.get_saved_view(agent, view_id))
    except NotFound:
        abort(404)
    except Forbidden as exc:
        return failed(url_for("web.inbox", view=view_id), str(exc), status=403)
    return done(url_for("web.inbox", view="mine"), _("View deleted."))
