"""The Shopify commerce provider: the order operations agents start from the
ticket page, done in the shop through the Admin GraphQL API, and the order
read back afterwards so the core stores it as Shopify now has it.

Shopify's own refusals (``userErrors``) reach the agent unchanged as
:class:`ProviderRefusal`, and so do failures with a reason to act on (a
revoked token, a missing scope); Shopify out of reach is left to the core,
which tells the agent to try again later. Mutations are sent once.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import CommerceProvider, ProviderRefusal

from . import graphql, mapping
from .client import AdminClient, ShopifyError
from .schemas import ShopifySettings

log = logging.getLogger(__name__)

EDIT_QUANTITY, CANCEL = "edit_quantity", "cancel"
#: Shopify's OrderCancelReason values.
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF")
#: orderCancel runs as a job; how often to look whether it is done.
JOB_POLLS = 5
MAX_STAFF_NOTE = 255


def _actor_name(actor):
    return (getattr(actor, "name", None) or getattr(actor, "email", None) or _("an agent"))[:100]


def _refuse_on(errors):
    """Shopify's ``userErrors`` as a refusal carrying its own words."""
    messages = [str((e or {}).get("message") or "").strip() for e in errors or ()]
    messages = [m for m in messages if m]
    if messages:
        raise ProviderRefusal("; ".join(messages)[:500])


class ShopifyProvider(CommerceProvider):
    """Orders of a Shopify shop: edit a line's quantity (Shopify emails the
    customer the updated invoice) and cancel (refund, restock and the
    customer's email as the agent chooses)."""

    slug = mapping.SOURCE
    label = _l("Shopify")
    settings_schema = ShopifySettings

    def operations(self, order):
        """Decided from the stored order: nothing on a cancelled order; edit
        while something is unfulfilled; cancel only with nothing fulfilled
        (Shopify refuses to cancel orders with fulfillments)."""
        if getattr(order, "status", None) == "cancelled":
            return set()
        fulfillment = getattr(order, "fulfillment_status", None) or "unfulfilled"
        operations = set()
        if fulfillment not in ("fulfilled", "restocked"):
            operations.add(EDIT_QUANTITY)
        if fulfillment == "unfulfilled":
            operations.add(CANCEL)
        return operations

    def _client(self):
        try:
            return AdminClient.from_settings(self.settings)
        except ShopifyError as exc:
            raise ProviderRefusal(exc.message)

    def _call(self, client, document, variables, operation, field):
        """Send a mutation once. Shopify out of reach propagates (the core
        reports the shop unreachable); any other failure is a refusal with
        its reason (a revoked token, a missing scope)."""
        try:
            return (client.execute(document, variables, operation, retry=False).get(field)) or {}
        except ShopifyError as exc:
            log.warning("Shopify %s failed: %s", operation, exc.message)
            if exc.retryable:
                raise
            raise ProviderRefusal(exc.message)

    def _read(self, client, external_id, changed):
        """The order as Shopify has it now."""
        variables = {"id": mapping.gid("Order", external_id), "lineItemsFirst": graphql.MAX_LINE_ITEMS}
        try:
            node = client.execute(graphql.ORDER, variables, "OrderForHelpline").get("order")
            if node is None:
                raise ProviderRefusal(_("Shopify no longer has this order."))
            return mapping.order_from_node(node, self.settings.get("shop_domain"))
        except ShopifyError as exc:
            log.warning("Shopify order %s changed but could not be read back: %s", external_id, exc.message)
            raise ProviderRefusal(
                _(
                    "Shopify %(changed)s the order, but Helpline could not read it back (%(error)s); "
                    "it updates when Shopify sends its webhook.",
                    changed=changed,
                    error=exc.message,
                )
            )

    def edit_line_quantity(self, order, line_external_id, quantity, actor):
        """``orderEditBegin`` → ``orderEditSetQuantity`` (restocking what is
        taken off) → ``orderEditCommit`` with ``notifyCustomer: true`` and a
        staff note naming the agent."""
        client = self._client()
        begin = self._call(
            client,
            graphql.ORDER_EDIT_BEGIN,
            {"id": mapping.gid("Order", order.external_id)},
            "OrderEditBegin",
            "orderEditBegin",
        )
        _refuse_on(begin.get("userErrors"))
        calculated = begin.get("calculatedOrder") or {}
        # A calculated line item keeps the number of the line item it edits.
        line = next(
            (
                node
                for node in ((calculated.get("lineItems") or {}).get("nodes") or [])
                if mapping.legacy_id(node.get("id")) == str(line_external_id)
            ),
            None,
        )
        if not calculated.get("id") or line is None:
            raise ProviderRefusal(_("Shopify has no line %(line)s on this order to edit.", line=line_external_id))
        changed = self._call(
            client,
            graphql.ORDER_EDIT_SET_QUANTITY,
            {"id": calculated["id"], "lineItemId": line["id"], "quantity": int(quantity), "restock": True},
            "OrderEditSetQuantity",
            "orderEditSetQuantity",
        )
        _refuse_on(changed.get("userErrors"))
        note = _(
            "Quantity set to %(quantity)s by %(agent)s in Helpline.", quantity=int(quantity), agent=_actor_name(actor)
        )
        commit = self._call(
            client,
            graphql.ORDER_EDIT_COMMIT,
            {"id": calculated["id"], "notifyCustomer": True, "staffNote": note[:MAX_STAFF_NOTE]},
            "OrderEditCommit",
            "orderEditCommit",
        )
        _refuse_on(commit.get("userErrors"))
        return self._read(client, order.external_id, _("edited"))

    def cancel(self, order, actor, reason, refund, restock, notify):
        """``orderCancel`` with the agent's choices; ``reason`` is one of
        Shopify's reasons (customer, declined, fraud, inventory, staff,
        other) or free text, sent as ``OTHER`` with the text in the staff note."""
        text = str(reason or "").strip()
        shopify_reason = text.upper() if text.upper() in CANCEL_REASONS else "OTHER"
        note = _("Cancelled by %(agent)s in Helpline.", agent=_actor_name(actor))
        if text and text.upper() not in CANCEL_REASONS:
            note = f"{note} {text}"
        client = self._client()
        result = self._call(
            client,
            graphql.ORDER_CANCEL,
            {
                "orderId": mapping.gid("Order", order.external_id),
                "reason": shopify_reason,
                "refundMethod": {"originalPaymentMethodsRefund": bool(refund)},
                "restock": bool(restock),
                "notifyCustomer": bool(notify),
                "staffNote": note[:MAX_STAFF_NOTE],
            },
            "OrderCancel",
            "orderCancel",
        )
        _refuse_on((result.get("orderCancelUserErrors") or []) + (result.get("userErrors") or []))
        job = result.get("job") or {}
        self._wait_for_job(client, job)
        return self._read(client, order.external_id, _("cancelled"))

    def _wait_for_job(self, client, job):
        """Shopify cancels in a background job: give it a few seconds."""
        for _attempt in range(JOB_POLLS):
            if not job.get("id") or job.get("done"):
                return
            client.sleep(1)
            try:
                job = client.execute(graphql.JOB_STATUS, {"id": job["id"]}, "JobStatus").get("job") or {}
            except ShopifyError as exc:
                log.warning("Shopify cancel job %s: %s", job.get("id"), exc.message)
                return
