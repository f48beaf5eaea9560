"""SMS channel (Twilio): inbound webhooks, keywords and consent, the
autoresponder, team alerts, replies with short links, delivery status and
campaign attribution. See docs/channels/sms.md."""
from app.hookspecs import hookimpl


@hookimpl
def helpline_register_channels():
    from .channel import SmsChannel
    return [SmsChannel]


@hookimpl
def helpline_register_settings():
    from .schemas import SmsSettings
    return SmsSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS
    return MODELS


@hookimpl
def helpline_register_blueprints():
    from .views import bp
    return [bp]


@hookimpl
def helpline_register_tasks():
    return ["plugins.sms.tasks"]


@hookimpl
def helpline_register_hookspecs():
    from . import hookspecs
    return [hookspecs]
