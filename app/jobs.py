"""The core's own background tasks."""

from .tasks import crontab, periodic_task, task


@task()
def deliver(outbox_id):
    """Send one queued reply through its channel."""
    from .services.outbox import attempt

    return attempt(outbox_id)


@periodic_task(crontab(minute="*"))
def retry_outbox():
    """Retry replies whose backoff has passed."""
    from .services.outbox import retry_due

    return retry_due()


@periodic_task(crontab(minute="*"))
def wake_snoozed():
    """Reopen snoozed tickets whose time has come."""
    from .services.tickets import wake_snoozed as wake

    return wake()


@periodic_task(crontab(minute="*"))
def expire_presence():
    """Mark agents whose heartbeat lapsed as offline."""
    from .services.agents import expire_presence as expire

    return expire()


@periodic_task(crontab(minute="17"))
def purge_idempotency_keys():
    """Forget API Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS."""
    from .services.idempotency import purge

    purge()
