"""Background delivery of notification emails other plugins ask for
(``helpline_send_email``): retried by huey on temporary failures."""
import logging
from email import policy
from email.parser import BytesParser

from app.plugins import get_plugins
from app.tasks import task

from .smtp_client import send

log = logging.getLogger(__name__)


@task(retries=5, retry_delay=60)
def deliver_notification(raw):
    """Send a prepared notification; temporary failures raise so huey retries."""
    from app.registry import DeliveryError
    settings = get_plugins().get_settings("email")
    message = BytesParser(policy=policy.default).parsebytes(raw if isinstance(raw, bytes) else raw.encode())
    try:
        send(settings, message)
    except DeliveryError as exc:
        if exc.retryable:
            raise
        log.error("notification email to %s refused for good: %s", message["To"], exc)
        return False
    return True
