"""Web chat: an embeddable widget for storefronts, live both ways, with
office hours, automatic replies and a follow-up email for visitors who left."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

display_name = _l("Web chat")
description = _l(
    "A chat window for your storefront, live both ways, with office hours, a greeting and an away message, and a follow-up email for visitors who left before the answer."
)


@hookimpl
def helpline_register_channels():
    from .channel import WebchatChannel

    return [WebchatChannel]


@hookimpl
def helpline_register_settings():
    from .schemas import WebchatSettings

    return WebchatSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    """The script and demo page, the JSON API (in the OpenAPI document) and the live stream."""
    from .admin import bp as admin
    from .api import bp as api
    from .stream import bp as stream
    from .views import bp

    return [bp, api, stream, admin]


@hookimpl
def helpline_register_streams():
    """The visitor stream again, for ``helpline streams`` (the proxy may route it there)."""
    from .stream import STREAM_ROUTES

    return STREAM_ROUTES


@hookimpl
def helpline_register_tasks():
    return ["plugins.webchat.tasks"]


@hookimpl
def helpline_register_commands():
    from .commands import webchat

    return [webchat]


@hookimpl
def helpline_register_ui_fragments():
    return [("settings_nav", "webchat/settings_nav.html")]


@hookimpl
def helpline_on_message_received(message, ticket):
    from .autoreply import on_message_received

    on_message_received(message, ticket)
