"""Agents and roles (admins and owners), and ``/me``: who I am, my unread
counts per view, my presence."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..auth import current_agent as current
from ..auth import require
from ..models import Agent
from ..permissions import AUTHENTICATED, can, granted
from ..plugins import get_plugins
from ..services import agents as agent_service
from ..services import views as view_service
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_agents", __name__, url_prefix="/api/v1", description="Agents, roles, presence and /me")


def agent_or_404(agent_id):
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise ApiError(404, _("Agent %(id)s does not exist.", id=agent_id))
    return agent


@bp.get("/agents")
@require("inbox")
@bp.response(200, s.AgentList)
def list_agents():
    """Every agent (to assign tickets and see presence), active ones first."""
    rows = Agent.select().order_by(Agent.is_active.desc(), Agent.name, Agent.id)
    return {"items": list(rows)}


@bp.post("/agents")
@require("agents")
@bp.arguments(s.AgentCreate)
@bp.response(201, s.AgentSchema)
def create_agent(body):
    """Invite an agent with a role (``owner`` only by an owner)."""
    agent_service.check_owner_rules(current(), None, new_role=body["role"])
    return agent_service.create_agent(
        body["email"], body.get("name"), body["role"], body.get("password"), timezone=body["timezone"]
    )


@bp.get("/agents/<dbid:agent_id>")
@require("inbox")
@bp.response(200, s.AgentSchema)
def get_agent(agent_id):
    """One agent."""
    return agent_or_404(agent_id)


@bp.patch("/agents/<dbid:agent_id>")
@require("agents")
@bp.arguments(s.AgentPatch)
@bp.response(200, s.AgentSchema)
def patch_agent(body, agent_id):
    """Change name, role, time zone, password, or (de)activate. The last
    owner cannot be demoted or deactivated (409)."""
    return agent_service.update_agent(current(), agent_or_404(agent_id), body)


@bp.delete("/agents/<dbid:agent_id>")
@require("agents")
@bp.response(204)
def delete_agent(agent_id):
    """Remove an agent. One with history (messages, ticket activity,
    assigned tickets) is deactivated instead, so the history keeps its
    author; the last owner cannot be removed (409)."""
    agent_service.remove_agent(current(), agent_or_404(agent_id))
    return None


@bp.get("/me")
@require(AUTHENTICATED)
@bp.response(200, s.MeSchema)
def me():
    """The logged-in agent, what their role allows, and unread counts per
    view (for the navigation badges)."""
    agent = current()
    permissions = granted(agent)
    unread, views = {}, []
    if can(agent, "inbox"):
        views = [s.view_out(v) for v in view_service.visible_views(agent)]
        keys = [*view_service.BUILTIN_VIEWS, *(view.id for view in views)]
        # One query for every view's unread count, however many views there are.
        _counts, counted = view_service.counts(agent, [], keys)
        unread = {str(key): n for key, n in zip(keys, counted)}
    badge = bool(get_plugins().get_settings("core").get("unread_badge", True))
    return {"agent": agent, "permissions": permissions, "unread": unread, "unread_badge": badge, "views": views}


@bp.put("/me/presence")
@require("inbox")
@bp.arguments(s.PresenceBody)
@bp.response(200, s.AgentSchema)
def put_presence(body):
    """Set your status (online, away, offline); also counts as a heartbeat."""
    return agent_service.set_presence(current(), body["presence"])
