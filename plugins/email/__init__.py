"""Email channel: forwarded mail becomes tickets (built-in SMTP listener or a
provider's inbound webhook), agent replies go out by SMTP with threading
headers, and automatic mail never loops."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl, plugin_settings

display_name = _l("Email")
description = _l(
    "Mail sent to your support addresses becomes tickets, through the built-in SMTP listener or a provider's inbound webhook. Agent replies go out by SMTP in the same thread, and automatic mail never loops."
)


@hookimpl
def helpline_register_channels():
    """The email channel class."""
    from .channel import EmailChannel

    return [EmailChannel]


@hookimpl
def helpline_register_settings():
    """The settings schema (keys other plugins read)."""
    from .schemas import EmailSettings

    return EmailSettings


@hookimpl
def helpline_register_models():
    """The table of mail dropped by the loop guard."""
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    """``POST /email/inbound`` (provider webhook), the agent pages and the REST API."""
    from .api import bp as api
    from .pages import bp as pages
    from .views import bp

    return [bp, pages, api]


@hookimpl
def helpline_register_ui_fragments():
    """Per-message extras in the thread, files and Cc in the composer, the dropped-mail page in the settings menu."""
    return [
        ("head", "email/head.html"),
        ("composer_tools", "email/composer_tools.html"),
        ("message_footer", "email/message_footer.html"),
        ("settings_nav", "email/settings_nav.html"),
    ]


@hookimpl
def helpline_register_commands():
    """``helpline email serve-smtp``."""
    from .cli import email_group

    return [email_group]


@hookimpl
def helpline_register_services():
    """The SMTP listener, started by ``helpline run``."""
    from .smtp_server import service

    return [service]


@hookimpl
def helpline_register_tasks():
    """Notification delivery with retries."""
    return ["plugins.email.tasks"]


@hookimpl
def helpline_email_available():
    """True once SMTP is configured (notifications can go out)."""
    from .notify import configured

    return True if configured(plugin_settings("email")) else None


@hookimpl
def helpline_send_email(message):
    """Send another plugin's notification; None when SMTP is not configured."""
    from .notify import send_notification

    return send_notification(message)
