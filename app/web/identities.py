"""The ticket sidebar's identity action: an agent confirms that an address
the customer typed (shown as unverified) is theirs. When it belongs to
another customer, this customer is merged into that one."""

from __future__ import annotations

from flask import abort, url_for
from flask_babel import gettext as _

from ..auth import current_agent, require
from ..models import ContactIdentity, Ticket
from ..services import ServiceError, identities
from .blueprint import bp
from .helpers import done, failed


@bp.post("/t/<dbid:ticket_id>/identities/<dbid:identity_id>/verify")
@require("inbox")
def verify_identity(ticket_id, identity_id):
    """Mark the ticket customer's unverified identity verified (or merge)."""
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        abort(404)
    page = url_for("web.ticket_page", ticket_id=ticket.id)
    identity = ContactIdentity.get_or_none(
        (ContactIdentity.id == identity_id) & (ContactIdentity.profile == ticket.profile_id)
    )
    if identity is None:
        abort(404)
    try:
        profile = identities.verify(identity, actor=current_agent())
    except ServiceError as err:
        return failed(page, err.message, status=err.status, code=err.code)
    if profile.id != ticket.profile_id:
        message = _(
            "%(value)s is verified: this conversation now belongs to %(name)s.",
            value=identity.external_id,
            name=profile.display_name,
        )
    else:
        message = _("%(value)s is verified.", value=identity.external_id)
    return done(page, message, profile_id=profile.id)
