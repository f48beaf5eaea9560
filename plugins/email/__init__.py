"""Email channel: forwarded mail becomes tickets (built-in SMTP listener or a
provider's inbound webhook), agent replies go out by SMTP with threading
headers, and automatic mail never loops."""
from app.hookspecs import hookimpl


@hookimpl
def helpline_register_channels():
    from .channel import EmailChannel
    return [EmailChannel]


@hookimpl
def helpline_register_settings():
    from .schemas import EmailSettings
    return EmailSettings


@hookimpl
def helpline_register_models():
    from .models import MODELS
    return MODELS


@hookimpl
def helpline_register_blueprints():
    from .views import bp
    return [bp]


@hookimpl
def helpline_register_commands():
    from .cli import email_group
    return [email_group]


@hookimpl
def helpline_register_services():
    from .smtp_server import service
    return [service]


@hookimpl
def helpline_register_tasks():
    return ["plugins.email.tasks"]


@hookimpl
def helpline_send_email(message):
    from .notify import send_notification
    return send_notification(message)
