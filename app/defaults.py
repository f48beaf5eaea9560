"""The core's own plugin: default (``trylast``) answers to decision hooks,
the general settings, the core's tasks and blueprints, and the stored
notifications written on event hooks. Registered first,
under the name ``core``; it cannot be disabled."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from .hookspecs import hookimpl
from .i18n import LANGUAGES
from .validation import is_time_zone

# Shown on the plugins page, in the agent's language.
description = _l("The core: general settings and the default answer to every decision.")


class GeneralSettings(ma.Schema):
    """Settings of the whole deployment (one merchant)."""

    organization_name = ma.fields.String(
        load_default="My Shop",
        validate=ma.validate.Length(min=1, max=100),
        metadata={"label": _l("Organization name"), "help": _l("Your shop's name, as customers and agents see it.")},
    )
    sms_prefix = ma.fields.String(
        load_default="MyShop",
        validate=ma.validate.Length(min=1, max=20),
        metadata={"label": _l("SMS prefix"), "help": _l("Starts automatic SMS, so customers know who writes.")},
    )
    support_email = ma.fields.String(
        load_default="support@example.com",
        validate=[ma.validate.Email(), ma.validate.Length(max=254)],
        metadata={
            "label": _l("Support email address"),
            "help": _l("Where customers can write; shown in automatic messages."),
        },
    )
    unread_badge = ma.fields.Boolean(
        load_default=True,
        metadata={
            "label": _l("Show the unread badge"),
            "help": _l("Agents see how many tickets in My inbox and Unassigned have unread messages."),
        },
    )
    timezone = ma.fields.String(
        load_default="UTC",
        metadata={
            "label": _l("Default time zone"),
            "help": _l("Times are shown in it to agents who have not chosen their own."),
            "widget": "timezone",
        },
    )
    customer_language = ma.fields.String(
        load_default="en",
        validate=ma.validate.OneOf(list(LANGUAGES), labels=list(LANGUAGES.values())),
        metadata={
            "label": _l("Customer-facing language"),
            "help": _l(
                "Automatic replies, notices in conversations, follow-up emails and the chat widget's default are "
                "written in this language. Each agent picks their own language for these pages."
            ),
        },
    )

    @ma.validates("timezone")
    def _valid_tz(self, value, **kwargs):
        if not is_time_zone(value):
            raise ma.ValidationError(str(_l("Unknown time zone.")))


@hookimpl(trylast=True)
def helpline_can_reply(ticket, channel):
    return channel.can_reply(ticket)


@hookimpl(trylast=True)
def helpline_choose_assignee(ticket):
    return None


@hookimpl
def helpline_register_settings():
    return GeneralSettings


@hookimpl
def helpline_register_tasks():
    return ["app.jobs"]


@hookimpl
def helpline_register_blueprints():
    from .web.files import bp as files
    from .web.stream import bp as stream

    return [stream, files]


@hookimpl
def helpline_register_panels():
    from .panels import CommercePanel

    return [CommercePanel]


# Stored notifications (app.services.notifications) follow the event hooks,
# so they are written only once the change they describe has committed.


@hookimpl
def helpline_on_ticket_assigned(ticket, new_assignee, actor):
    from .services import notifications

    notifications.on_ticket_assigned(ticket, new_assignee, actor)


@hookimpl
def helpline_on_message_created(message, ticket):
    from .services import notifications

    notifications.on_message_created(message, ticket)


@hookimpl
def helpline_on_message_received(message, ticket):
    from .services import notifications

    notifications.on_message_received(message, ticket)


@hookimpl
def helpline_on_ticket_created(ticket):
    from .services import notifications

    notifications.on_ticket_created(ticket)
