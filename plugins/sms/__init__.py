"""SMS channel (Twilio): inbound webhooks, keywords and consent, the
autoresponder, team alerts, replies with short links, delivery status and
campaign attribution. See docs/channels/sms.md."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

display_name = _l("SMS (Twilio)")
description = _l(
    "Text messages to your Twilio number become tickets and agents reply by SMS. Handles opt-out and opt-in keywords and consent, answers senders who have not consented, alerts the team by email, shortens links and credits orders to conversations."
)


@hookimpl
def helpline_register_channels():
    """The SMS channel class."""
    from .channel import SmsChannel

    return [SmsChannel]


@hookimpl
def helpline_register_panels():
    """The customer's SMS consent state and keyword history."""
    from .consent import ConsentPanel

    return [ConsentPanel]


@hookimpl
def helpline_register_ui_fragments():
    """Clicks on the short links of each SMS reply, under the message."""
    return [("message_footer", "sms/message_clicks.html")]


@hookimpl
def helpline_register_settings():
    """The settings schema (Twilio account, keywords, autoresponder, alerts)."""
    from .schemas import SmsSettings

    return SmsSettings


@hookimpl
def helpline_register_models():
    """Short links, campaign SMS sent, the autoresponder log and keyword messages."""
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    """Twilio's webhooks and the short-link redirect; the REST API (attribution, settings warnings)."""
    from .api import bp as api
    from .views import bp

    return [bp, api]


@hookimpl
def helpline_register_tasks():
    """Automatic SMS replies and team alerts, sent after commit."""
    return ["plugins.sms.tasks"]


@hookimpl
def helpline_register_hookspecs():
    """``helpline_on_sms_attributed`` for marketing plugins."""
    from . import hookspecs

    return [hookspecs]
