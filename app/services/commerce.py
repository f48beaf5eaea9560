"""Orders and customer events from commerce providers (interfaces.md §3).

Work in progress on this branch: the signatures are final, the bodies land
in the next commits.
"""

from __future__ import annotations

from ..commerce import EventData, OrderData


def upsert_order(source: str, data: OrderData):
    """Store or update the order ``(source, data.external_id)``; returns the Order."""
    raise NotImplementedError("lands in the next commit on the commerce branch")


def upsert_event(source: str, data: EventData):
    """Store the event ``(source, data.external_id)`` once; returns the ProfileEvent."""
    raise NotImplementedError("lands in the next commit on the commerce branch")


def order_operation(order, operation, actor, ticket=None, **params):
    """Run ``operation`` at the order's provider and store the result."""
    raise NotImplementedError("lands in the next commit on the commerce branch")
