"""Request signatures: HMAC-SHA256 of the raw body under the shared secret,
sent as ``X-Jsonhook-Signature: sha256=<hex>`` in both directions."""

import hashlib
import hmac

HEADER = "X-Jsonhook-Signature"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value for ``body``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` (constant time).
    An empty secret never validates: an unconfigured channel accepts nothing."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
