"""Notification mail for other plugins (alerts, chat follow-ups)."""

import logging
from email.utils import formataddr, formatdate

from app.plugin import get_plugins

from .addresses import new_message_id
from .channel import one_line

log = logging.getLogger(__name__)


def configured(settings):
    """SMTP server and a support address to send from are set."""
    return bool(settings.get("smtp_host") and settings.get("support_addresses"))


def send_notification(message):
    """Fill From and our headers, queue delivery; None when unconfigured."""
    settings = get_plugins().get_settings("email")
    if not configured(settings):
        return None
    if not any(message.get(h) for h in ("To", "Cc", "Bcc")):
        log.warning("notification email %r has no recipient; not sent", message.get("Subject"))
        return None
    if not message.get("From"):
        message["From"] = formataddr((one_line(settings.get("from_name")), settings["support_addresses"][0]))
    if not message.get("Message-ID"):
        message["Message-ID"] = f"<{new_message_id(settings)}>"
    if not message.get("Date"):
        message["Date"] = formatdate(localtime=False)
    if not message.get("Auto-Submitted"):
        # Machine-written: well-behaved autoresponders will not answer it.
        message["Auto-Submitted"] = "auto-generated"
    if not message.get("X-Helpline"):
        message["X-Helpline"] = "notification"
    from .tasks import deliver_notification

    deliver_notification(bytes(message))
    return True
