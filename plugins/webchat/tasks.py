"""Web chat background work."""

from app.plugin import crontab, periodic_task


@periodic_task(crontab(minute="*"))
def send_followups():
    """Email visitors who left before reading their replies (once)."""
    from .followup import send_due

    return send_due()
