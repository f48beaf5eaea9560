"""Importing the shop's order history through the Admin GraphQL API.

Orders are read oldest id first (``sortKey: ID``), a page at a time with
cursor pagination. Each page's orders are stored in one transaction together
with the page's end cursor (the checkpoint), so a run that stops (a Shopify
outage, a killed worker) resumes after the last stored page, and re-storing
an order is an idempotent upsert anyway. Orders created meanwhile arrive by
webhook; sorting by id means they never shift the pages still to read.

One run at a time: a run claims the state row with an atomic update and
refreshes its heartbeat with every page; a run whose heartbeat is older than
:data:`STALE_AFTER` is presumed dead and may be taken over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid

from flask_babel import format_number
from flask_babel import gettext as _

from app.plugin import ServiceError, now, plugin_settings, upsert_orders, write_transaction

from . import graphql, mapping
from .client import AdminClient, QueryTooCostly, ShopifyError
from .models import BackfillState

log = logging.getLogger(__name__)

KIND = "orders"
STALE_AFTER = dt.timedelta(minutes=5)
OPERATION = "BackfillOrders"


class BackfillBusy(Exception):
    """Another backfill run is active."""


class BackfillTakenOver(Exception):
    """This run was presumed dead and another run took over its checkpoint."""


@dataclasses.dataclass
class Progress:
    """What a person is shown: the state row, plus whether a run is alive."""

    status: str
    orders: int
    total: int | None
    pages: int
    error: str
    started_at: object
    finished_at: object
    heartbeat_at: object
    resumable: bool

    @property
    def percent(self):
        if not self.total:
            return 100 if self.status == "done" else 0
        return min(100, round(100 * self.orders / self.total))


def _row():
    BackfillState.insert(kind=KIND).on_conflict_ignore().execute()
    return BackfillState.get(BackfillState.kind == KIND)


def _alive(row, at=None):
    return row.status == "running" and row.heartbeat_at is not None and row.heartbeat_at >= (at or now()) - STALE_AFTER


def progress() -> Progress:
    """The import's progress for the settings page and the CLI."""
    row = _row()
    status = row.status
    if status == "running" and not _alive(row):
        status = "interrupted"  # the worker died mid-run
    return Progress(
        status=status,
        orders=row.orders,
        total=row.total,
        pages=row.pages,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        resumable=bool(row.cursor) and status in ("failed", "interrupted", "queued"),
    )


def mark_queued(restart=False):
    """Mark the import queued, in the caller's write transaction, and return
    whether the run will start over (asked, or the last import finished).
    Raises :class:`BackfillBusy` while a run is alive."""
    row = _row()
    if _alive(row):
        raise BackfillBusy()
    BackfillState.update(status="queued", error="").where(BackfillState.kind == KIND).execute()
    return restart or row.status == "done"


def _claim(run_id, restart):
    """Take the import for ``run_id``: from its checkpoint, or from the start
    when ``restart`` or when the last import finished."""
    at = now()
    with write_transaction():
        row = _row()
        changes = {"status": "running", "run_id": run_id, "heartbeat_at": at, "error": "", "finished_at": None}
        if restart or row.status == "done" or row.started_at is None:
            changes.update(cursor=None, pages=0, orders=0, total=None, page_size=None, started_at=at)
        claimed = (
            BackfillState.update(**changes)
            .where(
                (BackfillState.kind == KIND)
                & (
                    (BackfillState.status != "running")
                    | BackfillState.heartbeat_at.is_null()
                    | (BackfillState.heartbeat_at < at - STALE_AFTER)
                )
            )
            .execute()
        )
        if not claimed:
            raise BackfillBusy()
        return BackfillState.get(BackfillState.kind == KIND)


def _update(run_id, **changes):
    """Change the state row if ``run_id`` still holds it."""
    changed = (
        BackfillState.update(heartbeat_at=now(), **changes)
        .where((BackfillState.kind == KIND) & (BackfillState.run_id == run_id))
        .execute()
    )
    if not changed:
        raise BackfillTakenOver()


def _upsert(orders):
    """Store a page's orders in one batch. When the core refuses one (an
    order with no customer to attach it to, such as a walk-in sale), the
    others are stored one by one and the refused ones logged and skipped,
    so one order can never stall the import."""
    try:
        upsert_orders(mapping.SOURCE, orders)
        return
    except ServiceError:
        pass
    for data in orders:
        try:
            upsert_orders(mapping.SOURCE, [data])
        except ServiceError as exc:
            log.warning("Shopify backfill: order %s not stored: %s", data.external_id, exc.message)


def _store_page(run_id, row, orders, cursor, page_size):
    with write_transaction():
        if orders:
            _upsert(orders)
        row.pages += 1
        row.orders += len(orders)
        _update(run_id, cursor=cursor, pages=row.pages, orders=row.orders, page_size=page_size)


def _smaller(page_size, exc):
    """A page size whose requested cost fits Shopify's per-query maximum."""
    if exc.cost and exc.max_cost and exc.cost > exc.max_cost:
        return max(1, min(page_size - 1, page_size * int(exc.max_cost) // int(exc.cost)))
    return max(1, page_size // 2)


def _full_order(client, node, shop):
    """The order of a page node, read again alone when it has more lines
    than the page carried."""
    if not mapping.more_lines(node):
        return mapping.order_from_node(node, shop)
    data = client.execute(
        graphql.ORDER, {"id": node["id"], "lineItemsFirst": graphql.MAX_LINE_ITEMS}, "OrderForHelpline"
    )
    return mapping.order_from_node(data.get("order") or node, shop)


def _count(client):
    try:
        return int(client.execute(graphql.ORDERS_COUNT, {}, "OrdersCount")["ordersCount"]["count"])
    except (ShopifyError, KeyError, TypeError, ValueError) as exc:
        log.warning("Shopify backfill: could not count orders: %s", exc)
        return None


def run(restart=False, on_page=None) -> Progress:
    """Import the order history now, in this process, resuming from the
    checkpoint unless ``restart``. ``on_page(orders_done, total)`` is called
    at the start and after each stored page. Raises :class:`BackfillBusy`
    while another run is alive, :class:`ShopifyError` when Shopify fails
    (the state then says ``failed`` and keeps its checkpoint)."""
    settings = plugin_settings(mapping.SOURCE)
    client = AdminClient.from_settings(settings)
    shop = settings["shop_domain"]
    run_id = uuid.uuid4().hex
    row = _claim(run_id, restart)
    try:
        if row.total is None:
            row.total = _count(client)
            _update(run_id, total=row.total)
        page_size = row.page_size or settings["backfill_page_size"]
        cursor = row.cursor
        if on_page:
            on_page(row.orders, row.total)
        while True:
            client.wait_for(client.last_cost.get(OPERATION))
            variables = {"first": page_size, "after": cursor, "lineItemsFirst": graphql.LINE_ITEMS_PER_ORDER}
            try:
                data = client.execute(graphql.BACKFILL_ORDERS, variables, OPERATION)
            except QueryTooCostly as exc:
                if page_size == 1:
                    raise
                page_size = _smaller(page_size, exc)
                log.info("Shopify backfill: page too costly (%s); asking for %s orders", exc.cost, page_size)
                continue
            page = data.get("orders") or {}
            nodes = page.get("nodes") or []
            info = page.get("pageInfo") or {}
            orders = [_full_order(client, node, shop) for node in nodes]
            cursor = info.get("endCursor") or cursor
            _store_page(run_id, row, orders, cursor, page_size)
            if on_page:
                on_page(row.orders, row.total)
            if not nodes or not info.get("hasNextPage"):
                break
        with write_transaction():
            _update(run_id, status="done", finished_at=now())
    except BackfillTakenOver:
        log.warning("Shopify backfill run %s stopped: another run took over", run_id)
    except KeyboardInterrupt:
        # Ctrl+C on the command: free the import at once for a resume.
        with write_transaction():
            _update(run_id, status="failed", error=_("Stopped by hand."), finished_at=now())
        raise
    except ShopifyError as exc:
        log.warning("Shopify backfill failed after %s orders: %s", row.orders, exc.message)
        with write_transaction():
            _update(run_id, status="failed", error=exc.message[:1000], finished_at=now())
        raise
    return progress()


def describe(state: Progress) -> str:
    """One line about the import, for people."""
    total = format_number(state.total) if state.total is not None else "?"
    labels = {
        "idle": _("Not started."),
        "queued": _("Waiting for a worker."),
        "running": _("Importing: %(done)s of %(total)s orders.", done=format_number(state.orders), total=total),
        "interrupted": _(
            "Interrupted after %(done)s of %(total)s orders.", done=format_number(state.orders), total=total
        ),
        "done": _("Done: %(done)s orders imported.", done=format_number(state.orders)),
        "failed": _(
            "Stopped after %(done)s of %(total)s orders: %(error)s",
            done=format_number(state.orders),
            total=total,
            error=state.error,
        ),
    }
    return labels.get(state.status, state.status)
