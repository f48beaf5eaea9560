"""The nightly refit (03:17 UTC on the huey consumer)."""

from app.plugin import crontab, periodic_task


@periodic_task(crontab(hour="3", minute="17"))
def nightly_refit():
    """Refit the models on all order history and swap in the new scores."""
    # Imported here: scipy's optimizers cost every process that loads the
    # plugin seconds, and only the nightly fit needs them.
    from .refit import refit

    run = refit()
    return run.id
