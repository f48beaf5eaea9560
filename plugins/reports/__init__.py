"""Reports: ticket volume, first response and resolution times, per
channel, agent and tag, from facts written when events happen
(docs/reports.md defines every number)."""

from flask_babel import lazy_gettext as _l

from app.plugin import INBOX_ROLES, Permission, hookimpl

display_name = _l("Reports")
description = _l(
    "Ticket volume, first response and resolution times per channel, agent and tag, optionally counting only business hours."
)


@hookimpl
def helpline_register_permissions():
    """``reports.read``: the reports page and API (support included, DESIGN.md
    §6); ``reports``: comparing every agent's figures."""
    from flask_babel import lazy_gettext as _l

    return [
        Permission("reports.read", _l("Read reports"), roles=INBOX_ROLES),
        Permission("reports", _l("Reports"), roles=("owner", "admin", "manager")),
    ]


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_settings():
    from .schemas import ReportSettings

    return ReportSettings


@hookimpl
def helpline_register_blueprints():
    from .api import bp as api
    from .pages import bp as pages

    return [api, pages]


@hookimpl
def helpline_register_commands():
    from .cli import reports_group

    return [reports_group]


@hookimpl
def helpline_register_tasks():
    return ["plugins.reports.tasks"]


@hookimpl
def helpline_register_ui_fragments():
    return [("nav", "reports/nav.html"), ("head", "reports/head.html")]


# --- facts, maintained after every commit that changes a ticket ----------------


def _sync(ticket):
    # A task, so the change that fired the event (a close, a sweep of
    # thousands) does not wait for the facts; the task recomputes from the
    # ticket's history, so its order and repetitions do not matter.
    from .tasks import sync_ticket_facts

    sync_ticket_facts(ticket.id)


@hookimpl
def helpline_on_ticket_created(ticket):
    _sync(ticket)


@hookimpl
def helpline_on_message_received(message, ticket):
    _sync(ticket)


@hookimpl
def helpline_on_message_sent(message, ticket):
    _sync(ticket)


@hookimpl
def helpline_on_ticket_status_changed(ticket):
    _sync(ticket)


@hookimpl
def helpline_on_ticket_assigned(ticket):
    _sync(ticket)


@hookimpl
def helpline_on_demo_seeded():
    """Rebuild the facts from the demo tickets, whose history the demo backdates
    without events, so the quickstart's reports are filled at once (unless
    this plugin's migrations have not run)."""
    import logging

    from app.plugin import db

    from .rebuild import rebuild

    if not db.table_exists("report_cycle"):
        logging.getLogger(__name__).warning("reports: tables missing, run `helpline migrate`; demo rebuild skipped")
        return
    rebuild()
