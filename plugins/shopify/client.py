"""Shopify's Admin GraphQL API over plain HTTP at the pinned version, with
Shopify's calculated-cost rate limits respected.

Every response reports the throttle bucket (``extensions.cost.throttleStatus``:
``currentlyAvailable`` points, refilled at ``restoreRate`` per second). The
client remembers it, waits before a query the bucket cannot pay for yet
(:meth:`AdminClient.wait_for`), and when Shopify still answers ``THROTTLED``
waits for the missing points and asks again. Network trouble and 5xx answers
are retried a few times with backoff. Waiting goes through the app's
``SHOPIFY_SLEEP`` callable when one is configured (tests pass one that moves
their frozen clock), else ``time.sleep``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time

import requests
from flask import current_app
from flask_babel import gettext as _

from app.plugin import now

from .credentials import Credentials, configured
from .errors import QueryTooCostly, ShopifyError
from .schemas import API_VERSION

log = logging.getLogger(__name__)

TIMEOUT = (10, 30)  # connect, read (seconds)
NETWORK_ATTEMPTS = 3
THROTTLE_ATTEMPTS = 30
MAX_WAIT_SECONDS = 60.0


@dataclasses.dataclass
class Budget:
    """The throttle bucket as Shopify last reported it."""

    available: float
    maximum: float
    restore_rate: float
    at: object  # naive UTC datetime of the report

    def estimate(self, when):
        """Points available at ``when``, had nothing been spent since."""
        elapsed = max(0.0, (when - self.at).total_seconds())
        return min(self.maximum, self.available + elapsed * self.restore_rate)


def _budget(cost):
    status = (cost or {}).get("throttleStatus") or {}
    try:
        return Budget(
            available=float(status["currentlyAvailable"]),
            maximum=float(status["maximumAvailable"]),
            restore_rate=max(float(status["restoreRate"]), 1.0),
            at=now(),
        )
    except (KeyError, TypeError, ValueError):
        return None


class AdminClient:
    """One shop's Admin GraphQL endpoint.

    :param shop_domain: ``<name>.myshopify.com``.
    :param credentials: a :class:`~.credentials.Credentials` (the token is
        sent only to this shop: the domain is validated to be on
        myshopify.com).
    :param origin: where the shop's API is served; ``https://<shop_domain>``
        unless the operator set ``HELPLINE_SHOPIFY_ADMIN_ORIGIN`` (tests
        point it at the local fake Shopify).
    :param sleep: how to wait, in seconds.
    """

    def __init__(self, shop_domain, credentials, origin, sleep=None, session=None):
        self.shop_domain = shop_domain
        self.url = f"{origin}/admin/api/{API_VERSION}/graphql.json"
        self.credentials = credentials
        self._sleep = sleep or time.sleep
        self._session = session or requests.Session()
        self.budget: Budget | None = None
        #: requestedQueryCost of the last answer per operation name
        self.last_cost: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings):
        """A client for the configured shop; raises :class:`ShopifyError`
        when the shop domain or the credentials are missing."""
        if not configured(settings):
            raise ShopifyError(
                _(
                    "Shopify is not configured: set the shop domain and either the app's client ID and secret "
                    "or an Admin API access token."
                )
            )
        config = current_app.config
        origin = (config.get("SHOPIFY_ADMIN_ORIGIN") or f"https://{settings['shop_domain']}").rstrip("/")
        session = requests.Session()
        tokens = current_app.extensions.setdefault("shopify.tokens", {})
        return cls(
            settings["shop_domain"],
            Credentials(origin, settings, tokens, session),
            origin,
            sleep=config.get("SHOPIFY_SLEEP"),
            session=session,
        )

    def sleep(self, seconds):
        self._sleep(min(MAX_WAIT_SECONDS, max(0.0, seconds)))

    def wait_for(self, cost):
        """Wait until the bucket, as last reported and refilled since, can
        pay ``cost`` points (no wait before the first answer)."""
        if self.budget is None or not cost:
            return
        missing = min(cost, self.budget.maximum) - self.budget.estimate(now())
        if missing > 0:
            # Rounded up to a tenth of a second: Shopify's float arithmetic
            # must not leave the bucket a hair short.
            self.sleep(math.ceil(10 * missing / self.budget.restore_rate) / 10)

    def execute(self, query, variables=None, operation=None, retry=True):
        """Run one query or mutation; returns its ``data``. Raises
        :class:`ShopifyError` (:class:`QueryTooCostly` for a query over the
        per-query cost limit). ``retry=False`` sends it once even after
        network trouble or a 5xx (a mutation whose answer was lost may have
        been applied); a ``THROTTLED`` answer is always retried, as Shopify
        ran nothing."""
        body = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        throttled = failures = 0
        while True:
            try:
                payload = self._post(body)
            except ShopifyError as exc:
                failures += 1
                if not (exc.retryable and retry) or failures >= NETWORK_ATTEMPTS:
                    raise
                log.warning("Shopify %s failed (%s), attempt %s; retrying", operation, exc.message, failures)
                self.sleep(2 ** (failures - 1))
                continue
            cost = (payload.get("extensions") or {}).get("cost")
            self.budget = _budget(cost) or self.budget
            if cost and operation and cost.get("requestedQueryCost") is not None:
                self.last_cost[operation] = float(cost["requestedQueryCost"])
            errors = payload.get("errors")
            if not errors:
                data = payload.get("data")
                if not isinstance(data, dict):
                    raise ShopifyError(_("Shopify sent an answer without data."), retryable=True)
                return data
            codes = {((e or {}).get("extensions") or {}).get("code") for e in _as_list(errors)}
            if "THROTTLED" in codes:
                throttled += 1
                if throttled >= THROTTLE_ATTEMPTS:
                    raise ShopifyError(_("Shopify kept throttling the requests; try again later."), retryable=True)
                self.sleep(self._throttle_wait(cost))
                continue
            raise _graphql_error(errors, codes)

    def _throttle_wait(self, cost):
        """Seconds until the bucket holds the points the query asked for."""
        budget = _budget(cost)
        requested = (cost or {}).get("requestedQueryCost")
        if budget is None or requested is None:
            return 1.0
        return max(1.0, math.ceil((float(requested) - budget.available) / budget.restore_rate))

    def _post(self, body):
        response = self._send(body, self.credentials.token())
        if response.status_code == 401 and self.credentials.renewable:
            # A fetched token can be revoked or expire early: fetch a new one, once.
            response = self._send(body, self.credentials.token(renew=True))
        status = response.status_code
        if status == 429:
            raise ShopifyError(_("Shopify asked to slow down (HTTP 429)."), retryable=True, status=status)
        if status in (401, 403):
            raise ShopifyError(
                _(
                    "Shopify refused the access token (HTTP %(status)s): check the credentials and the app's scopes.",
                    status=status,
                ),
                status=status,
            )
        if status == 404:
            raise ShopifyError(_("Shopify has no shop at %(shop)s (HTTP 404).", shop=self.shop_domain), status=status)
        if status >= 500:
            raise ShopifyError(_("Shopify answered HTTP %(status)s.", status=status), retryable=True, status=status)
        if status != 200:
            raise ShopifyError(_("Shopify answered HTTP %(status)s.", status=status), status=status)
        try:
            payload = response.json()
        except ValueError:
            raise ShopifyError(_("Shopify sent an answer that is not JSON."), retryable=True, status=status)
        if not isinstance(payload, dict):
            raise ShopifyError(_("Shopify sent an answer that is not JSON."), retryable=True, status=status)
        return payload

    def _send(self, body, token):
        headers = {"X-Shopify-Access-Token": token, "Content-Type": "application/json"}
        try:
            return self._session.post(self.url, json=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ShopifyError(_("Shopify could not be reached: %(error)s", error=type(exc).__name__), retryable=True)


def _as_list(errors):
    return errors if isinstance(errors, list) else [{"message": str(errors)}]


def _graphql_error(errors, codes):
    errors = _as_list(errors)
    message = "; ".join(str((e or {}).get("message") or "") for e in errors)[:500]
    if "MAX_COST_EXCEEDED" in codes:
        extensions = next(
            (e.get("extensions") for e in errors if (e.get("extensions") or {}).get("code") == "MAX_COST_EXCEEDED"), {}
        )
        return QueryTooCostly(message, cost=extensions.get("cost"), max_cost=extensions.get("maxCost"))
    if "ACCESS_DENIED" in codes:
        return ShopifyError(
            _("Shopify denied access: %(error)s Check the custom app's Admin API scopes.", error=message)
        )
    return ShopifyError(_("Shopify answered: %(error)s", error=message))


def check_connection(settings):
    """Ask the shop who it is: ``{"name", "myshopifyDomain", "currencyCode"}``.
    Raises :class:`ShopifyError` with the reason when the shop, the token or
    the network is not right."""
    from .graphql import SHOP_INFO

    shop = AdminClient.from_settings(settings).execute(SHOP_INFO, {}, "ShopInfo").get("shop")
    if not isinstance(shop, dict):
        raise ShopifyError(_("Shopify sent no shop."))
    return shop
