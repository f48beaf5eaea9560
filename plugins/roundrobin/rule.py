"""The round-robin rule as the registry lists it."""

from flask_babel import lazy_gettext as _l

from app.plugin import Rule


class RoundRobinRule(Rule):
    """Gives new and reopened unassigned tickets to online agents in turn."""

    slug = "roundrobin"
    label = _l("Round-robin assignment")
    description = _l(
        "New tickets go to the next online agent, least recently assigned first; "
        "waiting tickets are picked up when an agent comes online."
    )
    # settings_endpoint: None, the generated settings page (with its preview).
