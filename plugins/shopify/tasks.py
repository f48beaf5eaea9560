"""Background work of the Shopify plugin: the order history import and the
pruning of delivery ids Shopify will not re-send any more."""

import logging

from app.plugin import crontab, periodic_task, task

from . import backfill, webhooks
from .client import ShopifyError

log = logging.getLogger(__name__)


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
