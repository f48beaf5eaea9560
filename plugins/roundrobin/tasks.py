"""Background work of the round-robin rule."""

from app.plugin import task

from .rotation import assign_backlog


@task()
def pick_up_backlog():
    """Assign waiting Unassigned tickets to whoever is online now."""
    return assign_backlog()
