"""The auto-close rule as the registry lists it."""

from flask_babel import lazy_gettext as _l

from app.plugin import Rule


class InactivityRule(Rule):
    """Closes tickets when the customer stays silent after a reply."""

    slug = "autoclose"
    label = _l("Auto-close inactive tickets")
    description = _l(
        "Closes a ticket when the customer has not answered an agent or bot reply within the inactivity period."
    )
    # settings_endpoint: None, the generated settings page (with its preview).
