"""Background work of the Shopify plugin: the order history import and the
pruning of delivery ids Shopify will not re-send any more."""

import logging

from app.plugin import after_commit, crontab, periodic_task, task, write_transaction

from . import backfill, webhooks
from .client import ShopifyError

log = logging.getLogger(__name__)


def queue_backfill(restart=False):
    """Ask a worker to run the order import once this transaction commits.
    Raises :class:`backfill.BackfillBusy` while a run is alive."""
    with write_transaction():
        restart = backfill.mark_queued(restart)
        after_commit(lambda: run_backfill(restart=restart))


@task()
def run_backfill(restart=False):
    """Import the order history (see :func:`backfill.run`). A failure is
    kept in the backfill state, shown on the settings page, and resumed from
    its checkpoint when the merchant starts it again."""
    try:
        backfill.run(restart=restart)
    except backfill.BackfillBusy:
        log.info("Shopify backfill already running; this request is dropped")
    except ShopifyError as exc:
        log.warning("Shopify backfill stopped: %s", exc.message)


@periodic_task(crontab(minute="17", hour="3"))
def prune_seen_webhooks():
    """Forget webhook delivery ids older than a week (nightly)."""
    return webhooks.prune_seen()
