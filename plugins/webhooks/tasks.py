"""Background work of the webhooks plugin: one task per delivery attempt,
and a sweep each minute for the retries that are due (and for rows whose
worker was lost)."""

from app.plugin import crontab, periodic_task, task

from . import delivery


def _retry_later(delivery_id, seconds):
    deliver.schedule((delivery_id,), delay=seconds)


@task()
def deliver(delivery_id):
    """Attempt one delivery (see :func:`delivery.attempt`)."""
    return delivery.attempt(delivery_id, retry=_retry_later)


@periodic_task(crontab(minute="*"))
def retry_deliveries():
    """Every minute: attempt the deliveries whose retry time has come."""
    return delivery.retry_due(retry=_retry_later)
