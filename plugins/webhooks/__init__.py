"""Outgoing webhooks: signed JSON POSTs to the merchant's own endpoints when
tickets are created, customers write, statuses change and tickets are
assigned; retried with backoff, with a delivery log and a test button.
Off until an owner or admin turns it on. See docs/webhooks.md."""

from flask_babel import lazy_gettext as _l

from app.plugin import defer, hookimpl

# Optional: a merchant who connects no other tool never needs it.
default_enabled = False
# Shown on the plugins page, in the agent's language.
display_name = _l("Outgoing webhooks")
description = _l(
    "Signed JSON notices to your own endpoints when tickets are created, customers write, statuses change and "
    "tickets are assigned; retried with backoff, with a delivery log and a test button."
)


@hookimpl
def helpline_register_settings():
    """The retry schedule and the answer timeout."""
    from .schemas import WebhooksSettings

    return WebhooksSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    """The JSON API and the settings pages."""
    from .api import bp as api
    from .pages import bp as pages

    return [api, pages]


@hookimpl
def helpline_register_tasks():
    return ["plugins.webhooks.tasks"]


@hookimpl
def helpline_register_ui_fragments():
    return [("settings_nav", "webhooks/settings_nav.html")]


# --- events: each writes its delivery rows (after the change committed) -------
# Deferred to the end of the after-commit callback that fired them, so the
# events of one change (a sweep's 500 closes) are written in one transaction.


def _enqueue(event_type, data):
    from .service import enqueue_events

    defer(enqueue_events, (event_type, data))


@hookimpl
def helpline_on_ticket_created(ticket):
    from .events import ticket_data

    _enqueue("ticket.created", {"ticket": ticket_data(ticket)})


@hookimpl
def helpline_on_message_received(message, ticket):
    from .events import message_data, ticket_data

    _enqueue("message.received", {"ticket": ticket_data(ticket), "message": message_data(message)})


@hookimpl
def helpline_on_ticket_status_changed(ticket, old_status, new_status, reason, actor):
    from .events import agent_data, ticket_data

    data = {
        "ticket": ticket_data(ticket),
        "old_status": old_status,
        "new_status": new_status,
        "reason": reason,
        "actor": agent_data(actor),
    }
    _enqueue("ticket.status_changed", data)


@hookimpl
def helpline_on_ticket_assigned(ticket, old_assignee, new_assignee, actor):
    from .events import agent_data, ticket_data

    data = {
        "ticket": ticket_data(ticket),
        "old_assignee": agent_data(old_assignee),
        "new_assignee": agent_data(new_assignee),
        "actor": agent_data(actor),
    }
    _enqueue("ticket.assigned", data)
