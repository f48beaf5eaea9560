"""Where the Admin API access token comes from.

A custom app created in the Shopify admin (possible until 2026) shows a
permanent token once, which the merchant pastes into the settings. An app
created in Shopify's Dev Dashboard (every new app since January 2026) has a
client ID and secret instead: Helpline exchanges them for a token valid
about 24 hours (OAuth client credentials grant) and renews it before it
expires, or at once when Shopify stops accepting it. Fetched tokens are kept
in memory per app (each process fetches its own), never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import requests
from flask_babel import gettext as _

from app.plugin import now

from .errors import ShopifyError

RENEW_BEFORE = dt.timedelta(minutes=10)
DEFAULT_LIFETIME = 86399
TIMEOUT = (10, 30)
_lock = threading.Lock()


def configured(settings) -> bool:
    """Whether the settings say how to authenticate with the shop."""
    return bool(
        settings.get("shop_domain")
        and (settings.get("access_token") or (settings.get("client_id") and settings.get("client_secret")))
    )


def webhook_secret(settings) -> str:
    """The key Shopify signs webhooks with: the one entered, else the app's
    client secret (what a Dev Dashboard app's webhooks are signed with)."""
    return settings.get("webhook_secret") or settings.get("client_secret") or ""


class Credentials:
    """Hands out the token to send as ``X-Shopify-Access-Token``.

    :param origin: where the shop is served (``https://<shop>``, or the
        operator's ``HELPLINE_SHOPIFY_ADMIN_ORIGIN``).
    :param cache: a dict shared by the app's clients, holding fetched tokens.
    """

    def __init__(self, origin, settings, cache, session):
        self._origin = origin
        self._client_id = settings.get("client_id") or ""
        self._client_secret = settings.get("client_secret") or ""
        # The app's client ID and secret win over a pasted token: a merchant
        # moving to a Dev Dashboard app fills them in, and a stored secret
        # cannot be emptied from the settings form.
        granted = bool(self._client_id and self._client_secret)
        self._static = None if granted else (settings.get("access_token") or None)
        secret_digest = hashlib.sha256(self._client_secret.encode()).hexdigest()
        self._key = (origin, self._client_id, secret_digest)
        self._cache = cache
        self._session = session

    @property
    def renewable(self):
        """True for fetched tokens, which can be renewed when refused."""
        return self._static is None

    def token(self, renew=False):
        """The token to use now; raises ``ShopifyError`` when Shopify will not give one."""
        if self._static is not None:
            return self._static
        with _lock:
            cached = self._cache.get(self._key)
        if cached and not renew and cached[1] - now() > RENEW_BEFORE:
            return cached[0]
        token, expires_at = self._grant()
        with _lock:
            self._cache[self._key] = (token, expires_at)
        return token

    def _grant(self):
        form = {"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret}
        try:
            response = self._session.post(f"{self._origin}/admin/oauth/access_token", data=form, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ShopifyError(_("Shopify could not be reached: %(error)s", error=type(exc).__name__), retryable=True)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        payload = payload if isinstance(payload, dict) else {}
        if response.status_code >= 500:
            message = _("Shopify answered HTTP %(status)s.", status=response.status_code)
            raise ShopifyError(message, retryable=True, status=response.status_code)
        token = payload.get("access_token")
        if response.status_code != 200 or not isinstance(token, str) or not token:
            reason = str(payload.get("error_description") or payload.get("error") or payload.get("errors") or "")[:200]
            # Two whole sentences, so a translator places the reason too.
            if reason:
                message = _(
                    "Shopify refused the app's client ID and secret (HTTP %(status)s) (%(reason)s): check them and "
                    "that the app is installed on the shop.",
                    status=response.status_code,
                    reason=reason,
                )
            else:
                message = _(
                    "Shopify refused the app's client ID and secret (HTTP %(status)s): check them and that the app "
                    "is installed on the shop.",
                    status=response.status_code,
                )
            raise ShopifyError(message, status=response.status_code)
        try:
            lifetime = max(60, int(payload.get("expires_in") or DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        return token, now() + dt.timedelta(seconds=lifetime)
