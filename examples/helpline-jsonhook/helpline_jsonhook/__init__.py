"""JSON webhook: a generic channel for any provider that POSTs JSON.

Inbound messages arrive signed with HMAC-SHA256 at ``/jsonhook/inbound``;
replies are POSTed, signed the same way, to the provider URL in the
settings. Installed but off until the merchant turns it on."""

from app.plugin import hookimpl
from flask_babel import lazy_gettext as _l

#: A new channel is turned on by the merchant, once it is configured.
default_enabled = False
display_name = _l("JSON webhook")
description = _l(
    "A channel for any messaging provider that sends and receives JSON: signed webhooks in, signed replies out."
)


@hookimpl
def helpline_register_channels():
    from .channel import JsonHookChannel

    return [JsonHookChannel]


@hookimpl
def helpline_register_settings():
    from .schemas import JsonHookSettings

    return JsonHookSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    from .views import bp

    return [bp]
