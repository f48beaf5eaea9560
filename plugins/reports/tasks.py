"""Background work of the reports plugin."""

from app.plugin import task

from .store import sync_ticket


@task(retries=3, retry_delay=10)
def sync_ticket_facts(ticket_id):
    """Bring one ticket's facts and rollups up to date (idempotent)."""
    return sync_ticket(ticket_id)
