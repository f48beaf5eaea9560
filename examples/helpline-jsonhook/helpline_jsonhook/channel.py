"""The channel: one ticket per provider conversation; replies are POSTed
to the provider, signed, and retried by the core's outbox when the
provider is down."""

from __future__ import annotations

import json

import requests
from app.plugin import Channel, DeliveryError, Refusal, SendResult
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import signing
from .models import JsonHookAttempt

#: Provider answers worth trying again later, besides every 5xx.
RETRYABLE = {408, 425, 429}
MAX_ANSWER_BYTES = 64 * 1024


class JsonHookChannel(Channel):
    """A generic JSON webhook channel."""

    slug = "jsonhook"
    label = _l("JSON webhook")
    reopens_closed = True

    def thread_key(self, inbound):
        """The provider's conversation id."""
        return inbound.meta["conversation"]

    def can_reply(self, ticket):
        """Replies need somewhere to go."""
        if not self.settings["provider_url"] or not self.settings["secret"]:
            return Refusal(
                "jsonhook_not_configured",
                _("The JSON webhook channel has no provider URL or secret yet, so replies cannot be sent."),
            )
        return None

    def send(self, outbound):
        """POST the reply; raise :class:`DeliveryError` (retryable unless the
        provider refused it for good) when it did not arrive."""
        url, secret = self.settings["provider_url"], self.settings["secret"]
        if not url or not secret:
            raise DeliveryError(_("The JSON webhook channel is not configured."), retryable=False)
        body = json.dumps(
            {
                "message_id": str(outbound.message_id),
                "conversation_id": outbound.thread_key,
                "text": outbound.text,
                "html": outbound.html,
                "recipient": {"name": outbound.to_name, "email": outbound.to_email, "phone": outbound.to_phone},
                "attempt": outbound.attempt,
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(secret, body),
            # The same key on every retry, so the provider can drop a repeat.
            "Idempotency-Key": f"helpline-{outbound.message_id}",
        }
        log = JsonHookAttempt(message_id=outbound.message_id, attempt=outbound.attempt)
        try:
            answer = requests.post(url, data=body, headers=headers, timeout=self.settings["timeout_seconds"])
        except requests.RequestException as exc:
            log.error = f"{type(exc).__name__}: {exc}"[:2000]
            log.save()
            raise DeliveryError(_("The provider did not answer: %(error)s", error=type(exc).__name__)) from exc
        log.status = answer.status_code
        if answer.status_code >= 300:
            log.error = answer.text[:2000]
            log.save()
            retryable = answer.status_code >= 500 or answer.status_code in RETRYABLE
            raise DeliveryError(_("The provider answered %(status)s.", status=answer.status_code), retryable=retryable)
        external_id = _answer_id(answer)
        log.external_id = external_id
        log.save()
        return SendResult(external_id=external_id)


def _answer_id(answer):
    """The provider's id for the delivered message, when it sent one."""
    if len(answer.content) > MAX_ANSWER_BYTES:
        return None
    try:
        data = answer.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value)[:255] if value not in (None, "") else None
