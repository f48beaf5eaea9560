"""Who sees what in the reports (DESIGN.md §6): owners, admins and managers
see everything; support agents (``reports.read``) see the page without
comparing agents -- their own row and figures only -- unless the
``support_sees_agents`` setting allows it."""

from __future__ import annotations

from flask_babel import gettext as _

from app.plugin import Forbidden, can

from .config import settings
from .models import NO_AGENT
from .queries import Query, preset

DEFAULT_DAYS = 30


def may_compare_agents(agent):
    return can(agent, "reports") or bool(settings()["support_sees_agents"])


def visible_agents(agent):
    """Agent keys whose rows ``agent`` may see, or None for all."""
    return None if may_compare_agents(agent) else {agent.id}


def build_query(args, agent):
    """A :class:`Query` from validated arguments (``ReportQuery``), refusing
    a filter on another agent to whom may not compare agents."""
    if args.get("start") is not None:
        start, end = args["start"], args["end"]
    else:
        start, end = preset(args.get("days") or DEFAULT_DAYS)
    agent_key = None
    if args.get("agent"):
        agent_key = NO_AGENT if args["agent"] == "none" else int(args["agent"])
        if not may_compare_agents(agent) and agent_key != agent.id:
            raise Forbidden(_("Your role shows your own figures only."), field="agent")
    channel = (args.get("channel") or "").strip() or None
    tag = (args.get("tag") or "").strip().lower() or None
    return Query(start, end, channel, agent_key, tag, args.get("compare", True))
