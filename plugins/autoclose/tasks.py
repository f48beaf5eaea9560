"""The periodic auto-close sweep (every five minutes on the huey consumer)."""

from app.plugin import crontab, periodic_task

from .sweep import sweep


@periodic_task(crontab(minute="*/5"))
def close_inactive_tickets():
    """Close every ticket whose auto-close clock ran out; see :func:`sweep`."""
    return sweep()
