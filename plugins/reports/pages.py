"""The reports page of the agent UI (/reports) and its CSV exports. Plain
GET forms and links: no script, so the page is CSP-safe and works without
JavaScript."""

from __future__ import annotations

import csv
import io

import marshmallow as ma
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from app.plugin import Forbidden, current_agent, require

from . import charts, queries
from .access import DEFAULT_DAYS, build_query, may_compare_agents, visible_agents
from .schemas import PRESETS, ReportQuery

bp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

TABLES = ("summary", "daily", "channels", "agents", "tags")
FIELDS = ("days", "start", "end", "channel", "agent", "tag", "compare")


def _args():
    """The page's query string as ReportQuery input (empty inputs dropped)."""
    raw = {k: v.strip() for k in FIELDS if (v := request.args.get(k, "")).strip()}
    if raw.get("start") and raw.get("end"):
        raw.pop("days", None)  # the form carries the preset along; typed dates win
    return ReportQuery().load(raw)


def duration(seconds):
    """Seconds as people read them: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return _("%(n)d s", n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)d min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h", d=days, h=hours)


def change(current, previous):
    """The change against the previous period as a signed percentage text."""
    if current is None or previous in (None, 0):
        return ""
    pct = (current - previous) * 100 / previous
    return f"{pct:+.0f} %"


def _charts(days):
    dates = [d["day"] for d in days]
    volume = charts.line_chart(
        "chart-volume",
        _("Tickets per day"),
        _("tickets"),
        dates,
        [
            charts.Series(_("Created"), [d["created"] for d in days], "created"),
            charts.Series(_("Closed"), [d["closed"] for d in days], "closed"),
            charts.Series(_("Reopened"), [d["reopened"] for d in days], "reopened"),
        ],
    )
    times = charts.line_chart(
        "chart-times",
        _("Median times per day"),
        _("hours"),
        dates,
        [
            charts.Series(_("First response"), [d["first_response_median"] for d in days], "frt"),
            charts.Series(_("Resolution"), [d["resolution_median"] for d in days], "resolution"),
        ],
        scale=3600,
    )
    backlog = charts.line_chart(
        "chart-backlog",
        _("Backlog at the end of each day"),
        _("tickets"),
        dates,
        [
            charts.Series(_("Open"), [d["backlog_open"] for d in days], "open"),
            charts.Series(_("Snoozed"), [d["backlog_snoozed"] for d in days], "snoozed"),
        ],
    )
    return [volume, times, backlog]


@bp.get("")
@require("reports.read")
def index():
    """The reports page for the chosen range and filters."""
    agent = current_agent()
    choices = queries.filter_choices()
    if not may_compare_agents(agent):
        choices["agents"] = [(a, n) for a, n in choices["agents"] if a == agent.id]
    try:
        args = _args()
        q = build_query(args, agent)
    except ma.ValidationError as err:
        return render_template(
            "reports/index.html", errors=err.messages, choices=choices, args=request.args, title=_("Reports")
        ), 400
    except Forbidden:
        abort(403)
    summary = queries.summary(q)
    daily = queries.daily(q)
    context = {
        "q": q,
        "args": args,
        "summary": summary,
        "days": daily["days"],
        "charts": _charts(daily["days"]),
        "channels": queries.groups(q, "channel")["rows"],
        "agents": queries.groups(q, "agent", only=visible_agents(agent))["rows"],
        "tags": queries.groups(q, "tag")["rows"],
        "choices": choices,
        "compare_agents": may_compare_agents(agent),
        "presets": PRESETS,
        "active_days": None if args.get("start") else (args.get("days") or DEFAULT_DAYS),
        "default_days": DEFAULT_DAYS,
        "duration": duration,
        "change": change,
        "link": _link,
        "export": _export_link,
        "errors": {},
        "title": _("Reports"),
    }
    return render_template("reports/index.html", **context)


def _current_filters():
    return {k: request.args[k] for k in ("channel", "agent", "tag") if request.args.get(k)}


def _link(days):
    """The page for a preset range, keeping the filters."""
    return url_for("reports.index", days=days, **_current_filters())


def _export_link(table):
    return url_for("reports.export", table=table, **{k: v for k, v in request.args.items() if k in FIELDS})


# --- CSV ---------------------------------------------------------------------------------

DURATION_KEYS = ("first_response", "resolution", "first_response_business", "resolution_business")
TOTAL_COLUMNS = ("created", "reopened", "closed", "auto_closed", "auto_closed_share", "replies")


def _total_columns(business):
    cols = list(TOTAL_COLUMNS)
    for key in DURATION_KEYS[: 4 if business else 2]:
        cols += [f"{key}_count", f"{key}_median_seconds", f"{key}_p90_seconds", f"{key}_average_seconds"]
    return cols


def _total_values(totals, business):
    values = [totals[c] for c in TOTAL_COLUMNS]
    for key in DURATION_KEYS[: 4 if business else 2]:
        d = totals[key] or {}
        values += [d.get("count"), d.get("median"), d.get("p90"), d.get("average")]
    return values


def table_rows(table, q, agent):
    """``(header, rows)`` of one exported table."""
    business = queries.business_hours_on()
    if table == "daily":
        header = [
            "day",
            "created",
            "reopened",
            "closed",
            "auto_closed",
            "replies",
            "first_response_median_seconds",
            "resolution_median_seconds",
            "backlog_open",
            "backlog_snoozed",
        ]
        days = queries.daily(q)["days"]
        return header, [
            [d[h.replace("_seconds", "")] if h != "day" else d["day"].isoformat() for h in header] for d in days
        ]
    if table == "summary":
        s = queries.summary(q)
        rows = [["current", q.start.isoformat(), q.end.isoformat(), *_total_values(s["current"], business)]]
        if s["previous"]:
            start, end = q.previous
            rows.append(["previous", start.isoformat(), end.isoformat(), *_total_values(s["previous"], business)])
        return ["period", "start", "end", *_total_columns(business)], rows
    by = {"channels": "channel", "agents": "agent", "tags": "tag"}[table]
    only = visible_agents(agent) if by == "agent" else None
    rows = queries.groups(q, by, only=only)["rows"]
    return [by, "label", *_total_columns(business)], [[r["key"], r["label"], *_total_values(r, business)] for r in rows]


def _cell(value):
    """A CSV value a spreadsheet will not run as a formula (tag names are
    typed by people)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/export/<any(summary, daily, channels, agents, tags):table>.csv")
@require("reports.read")
def export(table):
    """One table of the page as CSV (durations in seconds)."""
    agent = current_agent()
    try:
        q = build_query(_args(), agent)
    except ma.ValidationError as err:
        return Response(
            "\n".join(f"{k}: {' '.join(map(str, v))}" for k, v in err.messages.items()),
            status=400,
            mimetype="text/plain",
        )
    except Forbidden:
        abort(403)
    header, rows = table_rows(table, q, agent)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    name = f"reports-{table}-{q.start.isoformat()}-{q.end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
