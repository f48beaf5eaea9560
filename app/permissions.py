"""The role matrix of DESIGN.md §6, in one place. Views, the API and
services ask ``can(agent, permission)``."""

INBOX = frozenset({"owner", "admin", "manager", "support"})
MANAGERS = frozenset({"owner", "admin", "manager"})
ADMINS = frozenset({"owner", "admin"})

MATRIX = {
    # read, reply, note, assign, snooze, close, tag, bulk, macros, personal views
    "inbox": INBOX,
    "shared_views": MANAGERS,
    "shared_macros": MANAGERS,
    "reports.read": INBOX,
    "reports": MANAGERS,
    "settings": ADMINS,
    "plugins": ADMINS,
    "agents": ADMINS,
    # Commerce (issue 13): changing a customer's order at the shop, and
    # feeding order/event history through the import API.
    "orders.edit": MANAGERS,
    "commerce.import": ADMINS,
}


class Forbidden(Exception):
    """The acting agent's role does not allow this."""


def can(agent, permission):
    if agent is None or not getattr(agent, "is_active", False):
        return False
    return agent.role in MATRIX[permission]


def require(agent, permission):
    if not can(agent, permission):
        from flask_babel import gettext as _

        raise Forbidden(_("Your role does not allow this."))
