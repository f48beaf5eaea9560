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
    settings_endpoint = "roundrobin.settings_page"

    def is_active(self):
        """Off until the merchant switches it on in its settings."""
        return bool(self.settings.get("enabled"))
