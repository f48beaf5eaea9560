"""What goes wrong talking to Shopify, shared by the Admin API client and
the credentials that sign its requests."""

from __future__ import annotations


class ShopifyError(Exception):
    """A request to Shopify failed. ``message`` is for people;
    ``retryable`` says whether asking again later may work."""

    def __init__(self, message, retryable=False, status=None):
        super().__init__(message)
        self.message = str(message)
        self.retryable = retryable
        self.status = status


class QueryTooCostly(ShopifyError):
    """Shopify refused a query whose requested cost exceeds its per-query
    maximum (``MAX_COST_EXCEEDED``); ask for fewer objects."""

    def __init__(self, message, cost, max_cost):
        super().__init__(message)
        self.cost = cost
        self.max_cost = max_cost
