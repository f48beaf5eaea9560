"""Talking to Twilio: the REST client (pointed at the configured API base
URL, so tests and regional gateways work) and webhook signature checks."""

from __future__ import annotations

from flask_babel import gettext as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

from app.plugin import DeliveryError

from .schemas import TWILIO_API

TIMEOUT_SECONDS = 15


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends what the client addresses to api.twilio.com to ``base_url``."""

    def __init__(self, base_url):
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def client(settings) -> Client:
    """A Twilio REST client for the merchant's account."""
    return Client(
        settings["account_sid"], settings["auth_token"], http_client=_BaseUrlHttpClient(settings["api_base_url"])
    )


def send_sms(settings, to, body, status_callback=None):
    """Send one SMS; returns Twilio's message resource. Raises
    :class:`app.registry.DeliveryError` (retryable for 5xx, 429 and network
    trouble; final for a refused number or bad credentials)."""
    if not settings.get("account_sid") or not settings.get("auth_token"):
        raise DeliveryError(_("SMS is not configured: set the Twilio account SID and auth token."), retryable=False)
    if not settings.get("from_number") and not settings.get("messaging_service_sid"):
        raise DeliveryError(_("SMS is not configured: set a from number or a messaging service SID."), retryable=False)
    if not to:
        raise DeliveryError(_("The customer has no phone number."), retryable=False)
    kwargs = {"to": to, "body": body}
    if settings.get("messaging_service_sid"):
        kwargs["messaging_service_sid"] = settings["messaging_service_sid"]
    else:
        kwargs["from_"] = settings["from_number"]
    if status_callback:
        kwargs["status_callback"] = status_callback
    try:
        return client(settings).messages.create(**kwargs)
    except TwilioRestException as exc:
        retryable = exc.status >= 500 or exc.status == 429
        raise DeliveryError(
            _("Twilio answered %(status)s (code %(code)s): %(error)s", status=exc.status, code=exc.code, error=exc.msg),
            retryable=retryable,
        )
    except TwilioException as exc:
        raise DeliveryError(_("Twilio: %(error)s", error=str(exc)))
    except OSError as exc:  # requests' ConnectionError and timeouts derive from it
        raise DeliveryError(_("Twilio unreachable: %(error)s", error=str(exc)))


def signature_is_valid(settings, url, form, headers) -> bool:
    """Check ``X-Twilio-Signature`` on a webhook: with the auth token
    (HMAC-SHA1), or with the webhook shared key when Twilio says it signed
    with one (``X-Twilio-Webhooks-Signature-Settings``)."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature or len(signature) > 200:
        return False
    signature_settings = headers.get(SIGNATURE_SETTINGS_HEADER)
    secret = settings.get("webhook_shared_key") if signature_settings else settings.get("auth_token")
    if not secret:
        return False
    algorithm = get_signature_algorithm(signature_settings)
    return RequestValidator(secret).validate(url, form, signature, algorithm=algorithm)
