"""A local stand-in for one Shopify shop, for tests of commerce plugins.

:class:`FakeShopify` is a real HTTP server on 127.0.0.1 (an ephemeral port)
answering ``POST /admin/api/<version>/graphql.json`` the way Shopify's Admin
GraphQL API does for the operations a plugin sends, and hands out tokens
at ``POST /admin/oauth/access_token`` (the client credentials grant of Dev
Dashboard apps). It is not a GraphQL engine: it answers by **operation
name** (``operationName`` in the body, or the name after
``query``/``mutation`` in the text) and returns fixed selections,
documented on each ``_op_*`` method below.

It keeps an in-memory shop (orders with line items, customers), simulates
Shopify's calculated-cost throttling on an injected clock (a bucket of
``maximum_available`` points refilled at ``restore_rate`` points per second;
a query whose requested cost exceeds what is available gets a ``THROTTLED``
error, one above ``max_query_cost`` a ``MAX_COST_EXCEEDED`` error), plays
scripted failures (:meth:`FakeShopify.fail`) and refusals
(:meth:`FakeShopify.refuse_next`), and logs every request
(:attr:`FakeShopify.requests`). Mutations change the shop; customer
notifications Shopify would email are listed in
:attr:`FakeShopify.notifications`.

:func:`sign_webhook` and :func:`post_webhook` sign a body with a webhook
secret the way Shopify does (base64 HMAC-SHA256 of the raw body) and post
it to an app.

The ``fake_shopify`` fixture (``app.testing.plugin``) starts one per test on
the test's frozen clock.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import decimal
import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

DEFAULT_SHOP = "helpline-test.myshopify.com"
DEFAULT_TOKEN = "shpat_" + "0" * 32
DEFAULT_WEBHOOK_SECRET = "webhook-signing-secret-for-tests"
DEFAULT_CLIENT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_CLIENT_SECRET = "shpss_client-secret-for-tests"
TOKEN_LIFETIME = 86399
MAX_BODY = 1024 * 1024
_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json$")
_OPERATION = re.compile(r"\b(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)")
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF")
MUTATION_COST = 10


class _RealClock:
    def now(self):
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _money(value):
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))


def _iso(value, rest=False):
    """Shopify's GraphQL times end in ``Z``; its REST payloads carry an offset."""
    if value is None:
        return None
    text = value.replace(microsecond=0).isoformat()
    return text + ("+00:00" if rest else "Z")


def gid(kind, number):
    """A Shopify global id, e.g. ``gid://shopify/Order/5000000000001``."""
    return f"gid://shopify/{kind}/{number}"


def gid_number(value):
    """The number at the end of a global id (or of a plain number), or None."""
    match = re.fullmatch(r"(?:gid://shopify/[A-Za-z]+/)?(\d{1,19})", str(value or ""))
    return int(match.group(1)) if match else None


class GraphQLError(Exception):
    """Answered as ``{"errors": [...]}`` with HTTP 200, as Shopify does."""

    def __init__(self, message, code=None, **extensions):
        super().__init__(message)
        self.message = message
        self.extensions = {"code": code, **extensions} if code else extensions


class FakeShopify:
    """One shop's Admin GraphQL API on 127.0.0.1.

    :param clock: an object with ``now()`` (naive UTC), e.g. the kit's
        ``FrozenClock``: throttling restores points as it moves.
    :param access_token: a permanent ``X-Shopify-Access-Token`` (a custom
        app made in the Shopify admin); tokens granted to ``client_id`` /
        ``client_secret`` at ``POST /admin/oauth/access_token`` (a Dev
        Dashboard app) are accepted too until they expire.
    :param maximum_available: the throttle bucket size, in cost points.
    :param restore_rate: points restored per second of ``clock`` time.
    :param max_query_cost: the most one query may request.
    :param order_cost: requested cost of one order in an ``orders``
        connection (Shopify's is the sum of the objects selected); a page
        of ``first`` orders requests ``2 + first * order_cost``.
    """

    def __init__(
        self,
        clock=None,
        shop=DEFAULT_SHOP,
        access_token=DEFAULT_TOKEN,
        webhook_secret=DEFAULT_WEBHOOK_SECRET,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        maximum_available=2000,
        restore_rate=100,
        max_query_cost=1000,
        order_cost=3,
        currency="USD",
    ):
        self.clock = clock or _RealClock()
        self.shop = shop
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        self.client_id = client_id
        self.client_secret = client_secret
        #: tokens handed out by the client credentials grant: token -> expiry
        self.granted: dict[str, dt.datetime] = {}
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self.max_query_cost = max_query_cost
        self.order_cost = order_cost
        self.currency = currency
        self.orders: dict[int, dict] = {}
        self.customers: dict[int, dict] = {}
        self.requests: list[dict] = []
        self.notifications: list[dict] = []
        self.edit_sessions: dict[int, dict] = {}
        self.sleeps: list[float] = []
        self.jobs: dict[str, dict] = {}
        self._available = self.maximum_available
        self._restored_at = self.clock.now()
        self._failures: list[dict] = []
        self._refusals: list[str] = []
        self._served: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # --- the shop ------------------------------------------------------------

    def _next_id(self, base):
        return base + next(self._ids)

    def add_customer(self, email=None, phone=None, first_name="", last_name="", verified_email=True, **extra):
        """Add a customer; returns its record (``id`` is the numeric id)."""
        with self._lock:
            now = self.clock.now()
            customer = {
                "id": self._next_id(7_000_000_000_000),
                "email": email,
                "phone": phone,
                "first_name": first_name,
                "last_name": last_name,
                "verified_email": verified_email,
                "state": "enabled",
                "created_at": now,
                "updated_at": now,
                **extra,
            }
            self.customers[customer["id"]] = customer
            return customer

    def add_order(
        self,
        customer=None,
        lines=(("Linen shirt", 1, "49.00"),),
        created_at=None,
        financial_status="paid",
        fulfilled=False,
        shipping="0.00",
        email=None,
        **extra,
    ):
        """Add an order; ``lines`` are ``(title, quantity, unit price)`` or
        dicts with ``title``, ``quantity``, ``price`` and optionally ``sku``,
        ``variant_title``, ``fulfilled`` (a quantity). ``fulfilled=True``
        fulfils every line. Returns the order record."""
        with self._lock:
            number = 1000 + len(self.orders) + 1
            at = created_at or self.clock.now()
            items = []
            for line in lines:
                if not isinstance(line, dict):
                    title, quantity, price = line
                    line = {"title": title, "quantity": quantity, "price": price}
                quantity = int(line["quantity"])
                items.append(
                    {
                        "id": self._next_id(13_000_000_000_000),
                        "title": line["title"],
                        "variant_title": line.get("variant_title"),
                        "sku": line.get("sku"),
                        "quantity": quantity,
                        "current_quantity": quantity,
                        "price": _money(line["price"]),
                        "fulfilled": quantity if fulfilled else int(line.get("fulfilled", 0)),
                    }
                )
            order = {
                "id": self._next_id(5_000_000_000_000),
                "name": f"#{number}",
                "customer_id": customer["id"] if customer else None,
                "email": email if email is not None else (customer or {}).get("email"),
                "phone": (customer or {}).get("phone"),
                "created_at": at,
                "processed_at": at,
                "updated_at": at,
                "cancelled_at": None,
                "cancel_reason": None,
                "closed_at": None,
                "currency": self.currency,
                "financial_status": financial_status,
                "shipping": _money(shipping),
                "line_items": items,
                "staff_notes": [],
                **extra,
            }
            self.orders[order["id"]] = order
            return order

    def add_orders(self, count, customers=10, start=None, step=dt.timedelta(hours=1)):
        """Add ``count`` orders spread over ``customers`` customers (one line
        each, hourly from ``start``); returns their ids in creation order."""
        start = start or self.clock.now() - step * count
        people = [
            self.add_customer(email=f"buyer{i}@example.com", first_name="Buyer", last_name=str(i))
            for i in range(customers)
        ]
        return [
            self.add_order(
                people[i % customers], lines=[(f"Item {i}", 1 + i % 3, "10.00")], created_at=start + step * i
            )["id"]
            for i in range(count)
        ]

    def totals(self, order):
        subtotal = sum((li["price"] * li["current_quantity"] for li in order["line_items"]), decimal.Decimal("0.00"))
        return _money(subtotal), _money(subtotal + order["shipping"])

    def fulfillment_status(self, order):
        """Shopify's display fulfilment status, lower case."""
        live = [li for li in order["line_items"] if li["current_quantity"] > 0]
        done = sum(min(li["fulfilled"], li["current_quantity"]) for li in live)
        wanted = sum(li["current_quantity"] for li in live)
        if wanted and done >= wanted:
            return "fulfilled"
        return "partially_fulfilled" if done else "unfulfilled"

    # --- REST webhook payloads -------------------------------------------

    def customer_payload(self, customer_id):
        """A customer as Shopify's ``customers/*`` webhooks carry it."""
        c = self.customers[customer_id]
        return {
            "id": c["id"],
            "email": c["email"],
            "phone": c["phone"],
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "verified_email": c["verified_email"],
            "state": c["state"],
            "created_at": _iso(c["created_at"], rest=True),
            "updated_at": _iso(c["updated_at"], rest=True),
            "currency": self.currency,
            "tags": "",
            "admin_graphql_api_id": gid("Customer", c["id"]),
        }

    def order_payload(self, order_id):
        """An order as Shopify's ``orders/*`` webhooks carry it (REST shape)."""
        o = self.orders[order_id]
        subtotal, total = self.totals(o)
        status = self.fulfillment_status(o)
        customer = self.customer_payload(o["customer_id"]) if o["customer_id"] else None
        return {
            "id": o["id"],
            "admin_graphql_api_id": gid("Order", o["id"]),
            "name": o["name"],
            "order_number": int(o["name"].lstrip("#")),
            "email": o["email"],
            "contact_email": o["email"],
            "phone": o["phone"],
            "created_at": _iso(o["created_at"], rest=True),
            "processed_at": _iso(o["processed_at"], rest=True),
            "updated_at": _iso(o["updated_at"], rest=True),
            "cancelled_at": _iso(o["cancelled_at"], rest=True),
            "cancel_reason": o["cancel_reason"],
            "closed_at": _iso(o["closed_at"], rest=True),
            "currency": o["currency"],
            "presentment_currency": o["currency"],
            "current_subtotal_price": str(subtotal),
            "current_total_price": str(total),
            "subtotal_price": str(subtotal),
            "total_price": str(total),
            "financial_status": o["financial_status"],
            "fulfillment_status": {"unfulfilled": None, "partially_fulfilled": "partial"}.get(status, status),
            "order_status_url": f"https://{self.shop}/orders/{uuid.uuid5(uuid.NAMESPACE_URL, str(o['id'])).hex}",
            "customer": customer,
            "line_items": [
                {
                    "id": li["id"],
                    "admin_graphql_api_id": gid("LineItem", li["id"]),
                    "title": li["title"],
                    "name": li["title"] + (f" - {li['variant_title']}" if li["variant_title"] else ""),
                    "variant_title": li["variant_title"],
                    "sku": li["sku"],
                    "quantity": li["quantity"],
                    "current_quantity": li["current_quantity"],
                    "fulfillable_quantity": max(0, li["current_quantity"] - li["fulfilled"]),
                    "price": str(li["price"]),
                    "total_discount": "0.00",
                }
                for li in o["line_items"]
            ],
            "note": None,
            "tags": "",
        }

    # --- GraphQL nodes -----------------------------------------------------

    def _money_bag(self, amount):
        return {"shopMoney": {"amount": str(_money(amount)), "currencyCode": self.currency}}

    def _customer_node(self, customer_id):
        if not customer_id:
            return None
        c = self.customers[customer_id]
        return {
            "id": gid("Customer", c["id"]),
            "firstName": c["first_name"] or None,
            "lastName": c["last_name"] or None,
            "displayName": " ".join(p for p in (c["first_name"], c["last_name"]) if p) or c["email"] or "",
            "verifiedEmail": c["verified_email"],
            "defaultEmailAddress": {"emailAddress": c["email"]} if c["email"] else None,
            "defaultPhoneNumber": {"phoneNumber": c["phone"]} if c["phone"] else None,
        }

    def order_node(self, order_id, line_items_first=250):
        """An order as the plugin's order selection returns it."""
        o = self.orders[order_id]
        subtotal, total = self.totals(o)
        lines = o["line_items"][:line_items_first]
        return {
            "id": gid("Order", o["id"]),
            "name": o["name"],
            "email": o["email"],
            "phone": o["phone"],
            "createdAt": _iso(o["created_at"]),
            "processedAt": _iso(o["processed_at"]),
            "updatedAt": _iso(o["updated_at"]),
            "cancelledAt": _iso(o["cancelled_at"]),
            "cancelReason": o["cancel_reason"].upper() if o["cancel_reason"] else None,
            "closedAt": _iso(o["closed_at"]),
            "currencyCode": o["currency"],
            "displayFinancialStatus": (o["financial_status"] or "").upper() or None,
            "displayFulfillmentStatus": self.fulfillment_status(o).upper(),
            "currentSubtotalPriceSet": self._money_bag(subtotal),
            "currentTotalPriceSet": self._money_bag(total),
            "customer": self._customer_node(o["customer_id"]),
            "lineItems": {
                "pageInfo": {"hasNextPage": len(o["line_items"]) > line_items_first},
                "nodes": [
                    {
                        "id": gid("LineItem", li["id"]),
                        "title": li["title"],
                        "variantTitle": li["variant_title"],
                        "sku": li["sku"],
                        "quantity": li["quantity"],
                        "currentQuantity": li["current_quantity"],
                        "unfulfilledQuantity": max(0, li["current_quantity"] - li["fulfilled"]),
                        "originalUnitPriceSet": self._money_bag(li["price"]),
                    }
                    for li in lines
                ],
            },
        }

    # --- scripting and inspection -------------------------------------------

    def settings(self):
        """Plugin settings that connect to this shop with a permanent token
        (domain, token, webhook secret)."""
        return {"shop_domain": self.shop, "access_token": self.access_token, "webhook_secret": self.webhook_secret}

    def app_settings(self):
        """Plugin settings that connect like a Dev Dashboard app: client ID
        and secret (which also signs its webhooks)."""
        return {"shop_domain": self.shop, "client_id": self.client_id, "client_secret": self.client_secret}

    def revoke_granted_tokens(self):
        """Stop accepting every token the grant handed out."""
        with self._lock:
            self.granted.clear()

    def sleep(self, seconds):
        """A sleeper for the client under test: records the wait and moves
        the clock (when it can move) instead of waiting."""
        self.sleeps.append(seconds)
        if hasattr(self.clock, "advance"):
            self.clock.advance(seconds=seconds)

    def fail(self, operation=None, status=503, times=1, after=0, errors=None, body=None):
        """Script failures: once ``after`` requests of ``operation`` (None:
        any) have been answered normally, the next ``times`` requests get
        HTTP ``status`` (or, with ``errors``, HTTP 200 with those GraphQL
        errors)."""
        with self._lock:
            self._failures.append(
                {
                    "operation": operation,
                    "status": status,
                    "times": times,
                    "after": after,
                    "errors": errors,
                    "body": body,
                }
            )

    def refuse_next(self, message):
        """Make the next order mutation answer with a user error saying ``message``."""
        with self._lock:
            self._refusals.append(message)

    def _refused(self, name, field):
        if not self._refusals:
            return None
        message = self._refusals.pop(0)
        if name == "orderCancel":
            return _cancel_errors([field], message, "INVALID")
        return _user_errors(name, [field], message)

    def drain(self, available=0.0):
        """Empty the throttle bucket (down to ``available`` points)."""
        with self._lock:
            self._restore()
            self._available = float(available)

    def calls(self, operation):
        """Variables of each answered request of ``operation``, oldest first
        (throttled and failed requests are left out)."""
        return [r["variables"] for r in self.requests if r["operation"] == operation and r["outcome"] == "ok"]

    def operations(self):
        """Operation names of every request, oldest first, with outcome, e.g.
        ``("OrderEditBegin", "ok")`` or ``("BackfillOrders", "throttled")``."""
        return [(r["operation"], r["outcome"]) for r in self.requests]

    @property
    def available(self):
        with self._lock:
            self._restore()
            return self._available

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- HTTP ------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._reply(405, {"errors": "Not Found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    return self._reply(413, {"errors": "Request too large"})
                raw = self.rfile.read(length)
                status, payload = fake._answer(self.path, dict(self.headers), raw)
                self._reply(status, payload)

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _grant(self, path, raw):
        """``POST /admin/oauth/access_token`` (client credentials grant)."""
        form = {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        entry = {"path": path, "operation": "AccessToken", "variables": {"client_id": form.get("client_id")}}
        entry.update(version=None, token=None, query="", at=self.clock.now(), outcome="ok")
        with self._lock:
            self.requests.append(entry)
            scripted = self._scripted("AccessToken")
            if scripted is not None:
                entry["outcome"] = "failed"
                return scripted
            if form.get("grant_type") != "client_credentials":
                entry["outcome"] = "bad_request"
                return 400, {"error": "unsupported_grant_type"}
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                entry["outcome"] = "unauthorized"
                return 400, {"error": "invalid_client", "error_description": "Client credentials are invalid"}
            token = f"shpat_{uuid.uuid4().hex}"
            self.granted[token] = self.clock.now() + dt.timedelta(seconds=TOKEN_LIFETIME)
            return 200, {"access_token": token, "scope": "read_orders,write_orders", "expires_in": TOKEN_LIFETIME}

    def _authorized(self, token):
        if token and token == self.access_token:
            return True
        expires = self.granted.get(token)
        return expires is not None and expires > self.clock.now()

    def _answer(self, path, headers, raw):
        if path.split("?", 1)[0] == "/admin/oauth/access_token":
            return self._grant(path, raw)
        match = _PATH.match(path.split("?", 1)[0])
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        query = body.get("query", "") if isinstance(body, dict) else ""
        variables = (body.get("variables") or {}) if isinstance(body, dict) else {}
        operation = (body.get("operationName") if isinstance(body, dict) else None) or _operation_name(query)
        entry = {
            "path": path,
            "version": match.group("version") if match else None,
            "token": headers.get("X-Shopify-Access-Token"),
            "operation": operation,
            "query": query,
            "variables": copy.deepcopy(variables),
            "at": self.clock.now(),
            "outcome": "ok",
        }
        with self._lock:
            self.requests.append(entry)
            if match is None:
                entry["outcome"] = "not_found"
                return 404, {"errors": "Not Found"}
            if not self._authorized(entry["token"]):
                entry["outcome"] = "unauthorized"
                return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
            if not isinstance(body, dict) or not query:
                entry["outcome"] = "bad_request"
                return 400, {"errors": {"query": "Required parameter missing or invalid"}}
            scripted = self._scripted(operation)
            if scripted is not None:
                entry["outcome"] = "failed"
                return scripted
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None:
                entry["outcome"] = "unknown_operation"
                return 200, {"errors": [{"message": f"Unknown operation {operation!r} in the fake shop"}]}
            requested = self._requested_cost(operation, variables)
            if self.max_query_cost and requested > self.max_query_cost:
                entry["outcome"] = "max_cost"
                message = (
                    f"Query cost is {requested}, which exceeds the single query max cost limit ({self.max_query_cost})."
                )
                error = {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested}}
                error["extensions"]["maxCost"] = self.max_query_cost
                return 200, {"errors": [error]}
            self._restore()
            if requested > self._available:
                entry["outcome"] = "throttled"
                return 200, {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": self._cost(requested, None)},
                }
            self._available -= requested
            try:
                data, actual = handler(variables)
            except GraphQLError as exc:
                entry["outcome"] = "error"
                self._available = min(self.maximum_available, self._available + requested - 1)
                return 200, {
                    "errors": [{"message": exc.message, "extensions": exc.extensions}],
                    "extensions": {"cost": self._cost(requested, 1)},
                }
            self._available = min(self.maximum_available, self._available + max(0, requested - actual))
            self._served[operation] = self._served.get(operation, 0) + 1
            return 200, {"data": data, "extensions": {"cost": self._cost(requested, actual)}}

    def _scripted(self, operation):
        for rule in self._failures:
            if rule["operation"] not in (None, operation) or rule["times"] <= 0:
                continue
            if self._served.get(operation, 0) < rule["after"]:
                continue
            rule["times"] -= 1
            if rule["errors"] is not None:
                return 200, {"errors": rule["errors"]}
            return rule["status"], rule["body"] or {"errors": "Internal Server Error"}
        return None

    def _restore(self):
        now = self.clock.now()
        elapsed = max(0.0, (now - self._restored_at).total_seconds())
        self._available = min(self.maximum_available, self._available + elapsed * self.restore_rate)
        self._restored_at = now

    def _cost(self, requested, actual):
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": self.maximum_available,
                "currentlyAvailable": round(self._available, 1),
                "restoreRate": self.restore_rate,
            },
        }

    def _requested_cost(self, operation, variables):
        if operation.startswith(("OrderEdit", "OrderCancel")):
            return MUTATION_COST
        if operation == "BackfillOrders":
            return 2 + _int(variables.get("first"), 0) * self.order_cost
        return 2 + self.order_cost if operation == "OrderForHelpline" else 1

    # --- operations: each returns (data, actual cost) ---------------------

    def _op_ShopInfo(self, variables):
        """``shop { name myshopifyDomain currencyCode }``"""
        name = self.shop.split(".", 1)[0].replace("-", " ").title()
        return {"shop": {"name": name, "myshopifyDomain": self.shop, "currencyCode": self.currency}}, 1

    def _op_OrdersCount(self, variables):
        """``ordersCount(limit: null) { count precision }``"""
        return {"ordersCount": {"count": len(self.orders), "precision": "EXACT"}}, 1

    def _op_BackfillOrders(self, variables):
        """``orders(first: $first, after: $after, sortKey: ID) { pageInfo
        { hasNextPage endCursor } nodes { <order> } }``: oldest id first."""
        first = _int(variables.get("first"), None)
        if first is None or not 1 <= first <= 250:
            raise GraphQLError("The 'first' argument must be between 1 and 250.", "BAD_USER_INPUT")
        after = variables.get("after")
        start = 0
        ids = sorted(self.orders)
        if after:
            last = _decode_cursor(after)
            if last is None:
                raise GraphQLError("Invalid cursor for current pagination sort.", "BAD_USER_INPUT")
            start = next((i for i, number in enumerate(ids) if number > last), len(ids))
        chunk = ids[start : start + first]
        line_first = _int(variables.get("lineItemsFirst"), 250)
        page = {
            "pageInfo": {
                "hasNextPage": start + first < len(ids),
                "endCursor": _encode_cursor(chunk[-1]) if chunk else None,
            },
            "nodes": [self.order_node(number, line_first) for number in chunk],
        }
        return {"orders": page}, 2 + len(chunk) * self.order_cost

    def _op_OrderForHelpline(self, variables):
        """``order(id: $id) { <order> }`` (null when unknown)."""
        number = gid_number(variables.get("id"))
        if number not in self.orders:
            return {"order": None}, 1
        return {"order": self.order_node(number, _int(variables.get("lineItemsFirst"), 250))}, 1 + self.order_cost

    def _op_OrderEditBegin(self, variables):
        """``orderEditBegin(id: $id) { calculatedOrder { id lineItems(first:
        250) { nodes { id quantity editableQuantity } } } userErrors { field
        message } }``"""
        refused = self._refused("orderEditBegin", "id")
        if refused:
            return refused, MUTATION_COST
        number = gid_number(variables.get("id"))
        order = self.orders.get(number)
        if order is None:
            return _user_errors("orderEditBegin", ["id"], "Order does not exist."), MUTATION_COST
        if order["cancelled_at"] is not None:
            return _user_errors("orderEditBegin", ["id"], "Canceled orders can't be edited."), MUTATION_COST
        session = next(self._ids)
        self.edit_sessions[session] = {"order_id": number, "changes": {}, "committed": False}
        return {
            "orderEditBegin": {
                "calculatedOrder": {
                    "id": gid("CalculatedOrder", session),
                    "lineItems": {
                        "nodes": [
                            {
                                "id": gid("CalculatedLineItem", li["id"]),
                                "quantity": li["current_quantity"],
                                "editableQuantity": max(0, li["current_quantity"] - li["fulfilled"]),
                            }
                            for li in order["line_items"]
                        ]
                    },
                },
                "userErrors": [],
            }
        }, MUTATION_COST

    def _session(self, name, value):
        session = self.edit_sessions.get(gid_number(value))
        if session is None or session["committed"] or not str(value).startswith("gid://shopify/CalculatedOrder/"):
            return None, _user_errors(name, ["id"], "The order edit session does not exist or was already committed.")
        return session, None

    def _op_OrderEditSetQuantity(self, variables):
        """``orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity:
        $quantity, restock: $restock) { calculatedLineItem { id quantity }
        userErrors { field message } }``"""
        session, error = self._session("orderEditSetQuantity", variables.get("id"))
        error = error or self._refused("orderEditSetQuantity", "quantity")
        if error:
            return error, MUTATION_COST
        quantity = variables.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise GraphQLError("Variable $quantity of type Int! was provided invalid value", "INVALID_VARIABLE")
        order = self.orders[session["order_id"]]
        line_id = variables.get("lineItemId")
        line = next(
            (li for li in order["line_items"] if gid("CalculatedLineItem", li["id"]) == line_id),
            None,
        )
        if line is None:
            return _user_errors("orderEditSetQuantity", ["lineItemId"], "Line item does not exist."), MUTATION_COST
        if quantity < 0:
            return _user_errors("orderEditSetQuantity", ["quantity"], "Quantity can't be negative."), MUTATION_COST
        if quantity < line["fulfilled"]:
            message = "The quantity can't be less than the quantity that has already been fulfilled."
            return _user_errors("orderEditSetQuantity", ["quantity"], message), MUTATION_COST
        session["changes"][line["id"]] = {"quantity": quantity, "restock": bool(variables.get("restock"))}
        return {
            "orderEditSetQuantity": {
                "calculatedLineItem": {"id": line_id, "quantity": quantity},
                "userErrors": [],
            }
        }, MUTATION_COST

    def _op_OrderEditCommit(self, variables):
        """``orderEditCommit(id: $id, notifyCustomer: $notifyCustomer,
        staffNote: $staffNote) { order { id } userErrors { field message } }``"""
        session, error = self._session("orderEditCommit", variables.get("id"))
        error = error or self._refused("orderEditCommit", "id")
        if error:
            return error, MUTATION_COST
        order = self.orders[session["order_id"]]
        if not session["changes"]:
            return _user_errors("orderEditCommit", ["id"], "There are no changes to commit."), MUTATION_COST
        for line in order["line_items"]:
            change = session["changes"].get(line["id"])
            if change is not None:
                line["current_quantity"] = change["quantity"]
        session["committed"] = True
        order["updated_at"] = self.clock.now()
        if variables.get("staffNote"):
            order["staff_notes"].append(variables["staffNote"])
        if variables.get("notifyCustomer"):
            self.notifications.append({"kind": "order_edited", "order_id": order["id"], "email": order["email"]})
        return {"orderEditCommit": {"order": {"id": gid("Order", order["id"])}, "userErrors": []}}, MUTATION_COST

    def _op_OrderCancel(self, variables):
        """``orderCancel(orderId:, reason:, refundMethod:, restock:,
        notifyCustomer:, staffNote:) { job { id done }
        orderCancelUserErrors { field message code } }``"""
        reason = variables.get("reason")
        if reason not in CANCEL_REASONS:
            raise GraphQLError(
                "Variable $reason of type OrderCancelReason! was provided invalid value", "INVALID_VARIABLE"
            )
        if not isinstance(variables.get("restock"), bool):
            raise GraphQLError("Variable $restock of type Boolean! was provided invalid value", "INVALID_VARIABLE")
        refund_method = variables.get("refundMethod")
        if not isinstance(refund_method, dict):
            raise GraphQLError(
                "Variable $refundMethod of type OrderCancelRefundMethodInput was provided invalid value",
                "INVALID_VARIABLE",
            )
        refused = self._refused("orderCancel", "orderId")
        if refused:
            return refused, MUTATION_COST
        order = self.orders.get(gid_number(variables.get("orderId")))
        if order is None:
            return _cancel_errors(["orderId"], "Order does not exist.", "NOT_FOUND"), MUTATION_COST
        if order["cancelled_at"] is not None:
            return _cancel_errors(["orderId"], "Order has already been cancelled.", "INVALID"), MUTATION_COST
        if self.fulfillment_status(order) != "unfulfilled":
            message = "Cannot cancel an order with fulfillments. Cancel the fulfillments first."
            return _cancel_errors(["orderId"], message, "INVALID"), MUTATION_COST
        now = self.clock.now()
        order["cancelled_at"] = now
        order["closed_at"] = now
        order["updated_at"] = now
        order["cancel_reason"] = reason.lower()
        order["restocked"] = variables["restock"]
        if refund_method.get("originalPaymentMethodsRefund") and order["financial_status"] == "paid":
            order["financial_status"] = "refunded"
        elif order["financial_status"] in ("pending", "authorized"):
            order["financial_status"] = "voided"
        if variables.get("staffNote"):
            order["staff_notes"].append(variables["staffNote"])
        if variables.get("notifyCustomer"):
            self.notifications.append({"kind": "order_cancelled", "order_id": order["id"], "email": order["email"]})
        job = gid("Job", uuid.uuid4())
        self.jobs[job] = {"done": True}
        return {"orderCancel": {"job": {"id": job, "done": False}, "orderCancelUserErrors": []}}, MUTATION_COST

    def _op_JobStatus(self, variables):
        """``job(id: $id) { id done }``"""
        job = self.jobs.get(variables.get("id"))
        return {"job": {"id": variables.get("id"), "done": job["done"]} if job else None}, 1


def _user_errors(name, field, message):
    return {name: {"userErrors": [{"field": field, "message": message}]}}


def _cancel_errors(field, message, code):
    return {"orderCancel": {"job": None, "orderCancelUserErrors": [{"field": field, "message": message, "code": code}]}}


def _operation_name(query):
    match = _OPERATION.search(query or "")
    return match.group(1) if match else None


def _int(value, default):
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _encode_cursor(number):
    return base64.urlsafe_b64encode(json.dumps({"last_id": number}).encode()).decode()


def _decode_cursor(cursor):
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["last_id"])
    except (ValueError, KeyError, TypeError):
        return None


# --- webhooks ---------------------------------------------------------------


def sign_webhook(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify sends with ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_headers(topic, body, secret, webhook_id=None, shop=DEFAULT_SHOP, api_version="2025-07"):
    """The headers of one Shopify webhook delivery."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_webhook(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": _iso(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
    }


def post_webhook(client, topic, payload, secret, path="/shopify/webhooks", webhook_id=None, headers=None, **kwargs):
    """POST ``payload`` (a dict, or raw bytes) as Shopify would to ``path``
    on a Flask test client; ``headers`` override or add headers (a value of
    None removes one). Returns the response."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = webhook_headers(topic, body, secret, webhook_id=webhook_id, **kwargs)
    for key, value in (headers or {}).items():
        if value is None:
            sent.pop(key, None)
        else:
            sent[key] = value
    return client.post(path, data=body, headers=sent)
