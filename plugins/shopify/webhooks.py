"""Shopify's webhooks, from a verified raw body to the database.

Order of checks: size, then the HMAC over the raw bytes (nothing is parsed
before the signature is known to be Shopify's), then topic, delivery id,
JSON and the payload schema. A delivery is applied once: its
``X-Shopify-Webhook-Id`` is claimed in the same transaction that stores the
order, so parallel re-deliveries wait for the first and then see it done;
the order itself is upserted by its id, so a second delivery with a new id
(Shopify sends ``orders/updated`` after most changes) updates in place.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging

import marshmallow as ma
from flask_babel import gettext as _

from app.plugin import ServiceError, now, resolve_profile, upsert_order, write_transaction

from . import credentials, mapping
from .models import SeenWebhook
from .schemas import TOPICS, CustomerPayload, OrderPayload

log = logging.getLogger(__name__)

# An order with a thousand lines is ~1 MB of JSON; nothing legitimate is larger.
MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
MAX_WEBHOOK_ID = 100
#: Shopify retries a failed delivery for a few hours; a week covers it.
KEEP_SEEN_DAYS = 7


class WebhookRejected(Exception):
    """A delivery Helpline refuses; ``status`` and ``code`` for the answer."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, str(message), fields


def signature_is_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256(body, secret),
    compared in constant time."""
    if not header or not secret or len(header) > 100:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode("ascii", "replace"))


def parse(topic, body):
    """The validated payload of a verified delivery (``OrderPayload`` or
    ``CustomerPayload`` output); raises :class:`WebhookRejected`."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejected(400, "invalid_json", _("The body is not JSON."))
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "invalid_json", _("The body is not a JSON object."))
    schema = OrderPayload() if topic.startswith("orders/") else CustomerPayload()
    try:
        return schema.load(payload)
    except ma.ValidationError as err:
        raise WebhookRejected(422, "invalid", _("The payload is not valid."), err.messages)


def apply(topic, webhook_id, payload, shop):
    """Store one verified, validated delivery once. Returns ``stored``,
    ``duplicate`` (this delivery id was applied before) or ``skipped`` (an
    order Helpline cannot keep, e.g. a walk-in sale with no customer: it is
    acknowledged all the same, or Shopify would retry it and finally drop
    the subscription)."""
    with write_transaction():
        claimed = (
            SeenWebhook.insert(webhook_id=webhook_id, topic=topic, received_at=now())
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if not claimed:
            return "duplicate"
        try:
            if topic.startswith("orders/"):
                upsert_order(mapping.SOURCE, mapping.order_from_webhook(payload, shop))
            else:
                _customer(payload)
        except ServiceError as exc:
            log.warning("Shopify %s %s not stored: %s", topic, payload["id"], exc.message)
            return "skipped"
    return "stored"


def _customer(payload):
    """A Shopify customer becomes (or finds) a profile with a ``shopify``
    identity. Shopify says whether it verified the email; an unverified
    address never joins the customer to another person's profile."""
    ref = mapping.customer_from_webhook(payload)
    resolve_profile(
        mapping.SOURCE, ref.external_id, email=ref.email, phone=ref.phone, name=ref.name, verified_contact=ref.verified
    )


def receive(headers, body, settings):
    """Check and apply one delivery (raw ``body`` bytes). Returns what
    :func:`apply` did; raises :class:`WebhookRejected`."""
    secret = credentials.webhook_secret(settings)
    if not secret:
        raise WebhookRejected(401, "not_configured", _("Shopify webhooks are not configured."))
    if not signature_is_valid(body, headers.get("X-Shopify-Hmac-Sha256"), secret):
        log.warning("Shopify webhook refused: bad or missing X-Shopify-Hmac-Sha256")
        raise WebhookRejected(401, "bad_signature", _("The webhook signature is not valid."))
    topic = (headers.get("X-Shopify-Topic") or "").strip()
    if topic not in TOPICS:
        message = _("Helpline does not handle the topic %(topic)s.", topic=topic[:64] or "-")
        raise WebhookRejected(422, "unsupported_topic", message)
    webhook_id = (headers.get("X-Shopify-Webhook-Id") or "").strip()
    if not webhook_id or len(webhook_id) > MAX_WEBHOOK_ID or not webhook_id.isprintable():
        raise WebhookRejected(400, "invalid", _("The X-Shopify-Webhook-Id header is missing or not valid."))
    payload = parse(topic, body)
    return apply(topic, webhook_id, payload, settings.get("shop_domain"))


def prune_seen(days=KEEP_SEEN_DAYS):
    """Forget delivery ids older than ``days``; returns how many."""
    cutoff = now() - dt.timedelta(days=days)
    return SeenWebhook.delete().where(SeenWebhook.received_at < cutoff).execute()
