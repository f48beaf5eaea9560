"""Round-robin: new and reopened unassigned tickets go to the next online
agent in turn (docs/rules.md, "Round-robin assignment"). Off until the
merchant turns the plugin on: its switch is the rule's."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

default_enabled = False
display_name = _l("Round-robin assignment")
description = _l(
    "Gives new and reopened unassigned tickets to the online agents in turn, least recently assigned first; "
    "tickets waiting in Unassigned go out when an agent comes online. See who would get what before switching it on."
)


@hookimpl
def helpline_register_rules():
    from .rule import RoundRobinRule

    return [RoundRobinRule]


@hookimpl
def helpline_register_settings():
    from .schemas import RoundRobinSettings

    return RoundRobinSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_settings_sections():
    from .sections import DryRunSection, PreviewSection

    return [PreviewSection, DryRunSection]


@hookimpl
def helpline_register_tasks():
    return ["plugins.roundrobin.tasks"]


@hookimpl
def helpline_choose_assignee(ticket):
    """Claim the ticket for the next agent in turn and return them (the
    core's own claim afterwards finds it taken and does nothing); None when
    the rule is off or nobody online can take it (it waits in Unassigned)."""
    from .rotation import NO_AGENT, assign_next, settings

    config = settings()
    if config["dry_run"]:
        from .rotation import record_would_assign

        record_would_assign(ticket, config)
        return None
    agent = assign_next(ticket.id, config)
    return None if agent in (None, NO_AGENT) else agent


@hookimpl
def helpline_on_agent_presence_changed(agent, old_presence, new_presence):
    """An agent came online: waiting tickets are assigned, oldest first."""
    if new_presence == "online":
        from .rotation import settings
        from .tasks import pick_up_backlog

        if not settings()["dry_run"]:
            pick_up_backlog()


@hookimpl
def helpline_on_ticket_status_changed(ticket, old_status, new_status, reason, actor):
    """An agent at the cap closed or snoozed a ticket: room for one more."""
    if old_status == "open" and ticket.assignee_id is not None:
        _room_freed()


@hookimpl
def helpline_on_ticket_assigned(ticket, old_assignee, new_assignee, actor):
    """An agent at the cap lost a ticket (unassigned or handed to someone
    else): room for one more waiting ticket."""
    if old_assignee is not None and ticket.status == "open" and not _undone(ticket):
        _room_freed()


def _undone(ticket):
    """An undone automatic assignment puts the ticket back in Unassigned on
    purpose: it is not handed straight out again."""
    from app.plugin import Activity

    latest = Activity.select(Activity.action).where(Activity.ticket == ticket.id).order_by(Activity.id.desc()).first()
    return latest is not None and latest.action == "undone"


def _room_freed():
    from .rotation import settings
    from .tasks import pick_up_backlog

    config = settings()
    if not config["dry_run"] and config["max_open_per_agent"]:
        pick_up_backlog()


@hookimpl
def helpline_register_blueprints():
    from .api import bp as api
    from .views import bp

    return [bp, api]
