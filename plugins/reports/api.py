"""The reports REST API at /api/v1/reports: the same numbers as the page.
Durations are whole seconds; days are in the report time zone."""

from flask_smorest import Blueprint

from app.plugin import current_agent, require

from . import queries, schemas
from .access import build_query, visible_agents

bp = Blueprint(
    "reports_api",
    __name__,
    url_prefix="/api/v1/reports",
    description="Reports: ticket volume, first response and resolution times, per channel, agent and tag.",
)


def _query(args):
    return build_query(args, current_agent())


@bp.route("/summary")
@require("reports.read")
@bp.arguments(schemas.ReportQuery, location="query")
@bp.response(200, schemas.SummarySchema)
def summary(args):
    """Totals of the period and of the previous one, and the backlog."""
    return queries.summary(_query(args))


@bp.route("/daily")
@require("reports.read")
@bp.arguments(schemas.ReportQuery, location="query")
@bp.response(200, schemas.DailySchema)
def daily(args):
    """One row per day: volume, median times and the backlog at day's end."""
    return queries.daily(_query(args))


@bp.route("/channels")
@require("reports.read")
@bp.arguments(schemas.ReportQuery, location="query")
@bp.response(200, schemas.GroupSchema)
def channels(args):
    """Totals per channel."""
    return queries.groups(_query(args), "channel")


@bp.route("/agents")
@require("reports.read")
@bp.arguments(schemas.ReportQuery, location="query")
@bp.response(200, schemas.GroupSchema)
def agents(args):
    """Totals per agent (support agents see their own row unless the
    setting allows them every agent)."""
    agent = current_agent()
    return queries.groups(build_query(args, agent), "agent", only=visible_agents(agent))


@bp.route("/tags")
@require("reports.read")
@bp.arguments(schemas.ReportQuery, location="query")
@bp.response(200, schemas.GroupSchema)
def tags(args):
    """Totals per tag (a cycle with two tags counts in both)."""
    return queries.groups(_query(args), "tag")
