"""Customer profiles with the panels enabled panel plugins offer."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..auth import current_agent, require
from ..models import ContactIdentity, Profile, Ticket
from ..plugins import get_plugins
from ..plugins.parts import NOT_SHOWN, isolated
from ..services import NotFound, identities
from . import schemas as s
from .errors import ApiError

bp = Blueprint("api_profiles", __name__, url_prefix="/api/v1", description="Customer profiles and panels")

RECENT_TICKETS = 10


def panels_for(profile):
    """``[{slug, title, plugin, data, error}]`` from enabled panel plugins;
    a failing panel reports an error instead of failing the page."""
    out = []
    for panel in get_plugins().enabled_panels():

        def render(panel=panel):
            return panel.render_data(profile) if panel.eligible(profile) else NOT_SHOWN

        data, error = isolated("panel", panel.slug, render)
        if data is not NOT_SHOWN:
            out.append(
                {"slug": panel.slug, "title": str(panel.title), "plugin": panel.plugin, "data": data, "error": error}
            )
    return out


@bp.get("/profiles/<dbid:profile_id>")
@require("inbox")
@bp.response(200, s.ProfileSchema)
def get_profile(profile_id):
    """A customer: contact details, consent, identities (verified or not),
    ticket count, recent tickets and the panels of enabled panel plugins."""
    profile = Profile.get_or_none(Profile.id == profile_id)
    if profile is None:
        raise ApiError(404, _("Profile %(id)s does not exist.", id=profile_id))
    return _detail(profile)


@bp.post("/profiles/<dbid:profile_id>/identities/<dbid:identity_id>/verify")
@require("inbox")
@bp.response(200, s.ProfileSchema)
def verify_identity(profile_id, identity_id):
    """Confirm that an unverified identity (an email typed into a web chat)
    is this customer's. When it belongs to another customer, this profile is
    merged into that one: the answer is the surviving profile (its ``id``
    may differ from the one in the URL)."""
    identity = ContactIdentity.get_or_none(
        (ContactIdentity.id == identity_id) & (ContactIdentity.profile == profile_id)
    )
    if identity is None:
        raise NotFound(_("Profile %(id)s has no such identity.", id=profile_id), code="not_found")
    return _detail(identities.verify(identity, actor=current_agent()))


def _detail(profile):
    tickets = Ticket.select().where(Ticket.profile == profile.id)
    profile.ticket_count = tickets.count()
    profile.recent_tickets = list(tickets.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(RECENT_TICKETS))
    profile.panels = panels_for(profile)
    profile.identity_list = identities.of_profile(profile)
    return profile
