"""The nightly refit (03:17 UTC on the huey consumer)."""

from app.plugin import crontab, periodic_task

from .refit import refit


@periodic_task(crontab(hour="3", minute="17"))
def nightly_refit():
    """Refit the models on all order history and swap in the new scores."""
    run = refit()
    return run.id
