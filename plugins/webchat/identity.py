"""Signed storefront identities: the shop signs its logged-in customer
(customer id and/or email, and the time) with a secret it shares with
Helpline; a chat started with a valid signature belongs to that customer's
verified profile. docs/channels/webchat.md ("Signed-in customers") is the
shop's side of this and must say exactly what :func:`message` builds.

Nothing the widget sends unsigned is ever treated as verified: without a
valid signature the chat is an anonymous visitor's, as before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import secrets

from flask_babel import gettext as _

from app.plugin import Denied, ServiceError, get_plugins, now

log = logging.getLogger(__name__)

PLUGIN = "webchat"
# A signature dated this far in the future is refused: the shop's clock may
# run a little fast, never an hour.
CLOCK_SKEW_SECONDS = 300
_EPOCH = dt.datetime(1970, 1, 1)


class InvalidIdentity(ServiceError):
    status = 401


@dataclasses.dataclass(frozen=True)
class Verified:
    """A customer the storefront vouched for."""

    customer_id: str | None
    email: str | None


def message(customer_id, email, timestamp):
    """The exact text the shop signs: ``customer_id|email|timestamp`` (an
    empty string for the one it does not send)."""
    return f"{customer_id or ''}|{email or ''}|{timestamp}"


def signature(secret, customer_id, email, timestamp):
    """Hex HMAC-SHA256 of :func:`message` under ``secret``."""
    return hmac.new(secret.encode(), message(customer_id, email, timestamp).encode(), hashlib.sha256).hexdigest()


def generate_secret():
    """A new random secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def rotate_secret():
    """Store a new secret and return it: signatures made with the old one
    are refused from now on."""
    secret = generate_secret()
    get_plugins().set_settings(PLUGIN, {"identity_secret": secret})
    return secret


def verify(data, settings, at=None):
    """The :class:`Verified` customer ``data`` (a loaded
    ``schemas.SignedIdentity``) names, or an error: 403
    ``identity_not_enabled`` without a secret, 401 ``identity_expired``
    outside the allowed age, 401 ``identity_invalid`` for a bad signature."""
    secret = settings.get("identity_secret") or ""
    if not secret:
        raise Denied(
            _("Signed customers are not set up: generate the identity secret in the web chat settings."),
            code="identity_not_enabled",
            field="identity",
        )
    expected = signature(secret, data["customer_id"], data["email"], data["timestamp"])
    # Constant time, and checked before the age: a forged request learns
    # nothing from which answer it gets first.
    if not hmac.compare_digest(expected, data["signature"].lower()):
        log.info("web chat identity refused: bad signature")
        raise InvalidIdentity(
            _("The signed customer identity is not valid."), code="identity_invalid", field="identity"
        )
    age = ((at or now()) - _EPOCH).total_seconds() - int(data["timestamp"])
    if age > settings["identity_max_age_seconds"] or age < -CLOCK_SKEW_SECONDS:
        raise InvalidIdentity(
            _("The signed customer identity expired; reload the page."), code="identity_expired", field="identity"
        )
    return Verified(customer_id=data["customer_id"] or None, email=(data["email"] or "").strip().lower() or None)
