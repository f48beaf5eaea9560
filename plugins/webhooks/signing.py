"""Signing outgoing webhooks: HMAC-SHA256 under the endpoint's secret over
``"<timestamp>.<body>"``, so a receiver can check both who sent the body and
when (an old, replayed request fails its time check). docs/webhooks.md
shows the receiver's side."""

import hashlib
import hmac
import secrets

HEADER_ID = "Helpline-Webhook-Id"
HEADER_TIMESTAMP = "Helpline-Webhook-Timestamp"
HEADER_SIGNATURE = "Helpline-Webhook-Signature"
HEADER_EVENT = "Helpline-Webhook-Event"
SECRET_PREFIX = "whsec_"


def new_secret():
    """A fresh endpoint secret (256 random bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask(secret):
    """The secret as shown after creation: its prefix and last four characters."""
    return f"{SECRET_PREFIX}…{secret[-4:]}" if secret else ""


def signature(secret, timestamp, body):
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` (``body`` as bytes)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret, delivery_uid, event_type, timestamp, body):
    """The headers that carry the delivery id, the time and the signature."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Helpline-Webhooks/1",
        HEADER_ID: delivery_uid,
        HEADER_EVENT: event_type,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: "v1=" + signature(secret, timestamp, body),
    }
