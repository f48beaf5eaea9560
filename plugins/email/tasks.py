"""Background delivery of notification emails other plugins ask for
(``helpline_send_email``): retried by huey on temporary failures."""

import datetime as dt
import logging
from email import policy
from email.parser import BytesParser

from app.plugin import DeliveryError, crontab, get_plugins, now, periodic_task, storage, task

from .models import DroppedEmail
from .smtp_client import send

log = logging.getLogger(__name__)


@task(retries=5, retry_delay=60)
def deliver_notification(raw):
    """Send a prepared notification; temporary failures raise so huey retries."""
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


DROPPED_RETENTION_DAYS = 30


@periodic_task(crontab(hour="3", minute="17"))
def purge_dropped():
    """Forget automatic mail dropped more than 30 days ago (row and raw file):
    it is kept for a merchant to check the loop guard, not for ever."""
    cutoff = now() - dt.timedelta(days=DROPPED_RETENTION_DAYS)
    old = list(
        DroppedEmail.select(DroppedEmail.id, DroppedEmail.raw_key).where(DroppedEmail.received_at < cutoff).limit(5000)
    )
    for row in old:
        storage.delete(row.raw_key)
    if old:
        DroppedEmail.delete().where(DroppedEmail.id.in_([row.id for row in old])).execute()
    return len(old)
