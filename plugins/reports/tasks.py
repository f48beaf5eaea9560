"""Background work of the reports plugin."""

from app.plugin import task

from .store import sync_ticket


@task(retries=3, retry_delay=10)
def sync_ticket_facts(ticket_id):
    """Bring one ticket's facts and rollups up to date (idempotent)."""
    return sync_ticket(ticket_id)


@task(retries=3, retry_delay=10)
def sync_many_ticket_facts(ticket_ids):
    """Bring these tickets' facts and rollups up to date (idempotent: a
    retry redoes them all, which changes nothing for those already done)."""
    return sum(1 for ticket_id in ticket_ids if sync_ticket(ticket_id))
