"""The SMS channel: one ticket per phone number, replies only to consented
profiles, delivery through Twilio's REST API."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import (
    SMS_CONSENT,
    CardFact,
    Channel,
    ChannelCard,
    Refusal,
    SendResult,
    is_alphanumeric_sender,
    normalize_phone,
)

from . import consent, links, twilio_api

log = logging.getLogger(__name__)


class SmsChannel(Channel):
    slug = "sms"
    label = _l("SMS")
    reopens_closed = True

    def thread_key(self, inbound):
        """One conversation per person: the sender's E.164 number, or the
        alphanumeric sender id of a sender without one."""
        return normalize_phone(inbound.sender.phone) or inbound.sender.external_id or inbound.external_id

    def can_reply(self, ticket):
        sender = self.settings.get("from_number")
        if is_alphanumeric_sender(sender):
            return Refusal(
                "sms_alphanumeric_sender",
                _(
                    "SMS is sent from the alphanumeric sender id %(sender)s, which cannot receive messages, so "
                    "replies from the inbox are refused. Set a phone number as the sender.",
                    sender=sender,
                ),
            )
        profile = ticket.profile
        if not profile.phone:
            return Refusal(
                "sms_no_phone",
                _(
                    "%(who)s wrote from an alphanumeric sender id, which cannot receive messages, so you cannot "
                    "reply by SMS.",
                    who=profile.display_name,
                ),
            )
        if profile.sms_consent not in SMS_CONSENT:
            return Refusal(
                "sms_no_consent",
                _(
                    "%(who)s has not consented to receive SMS (marketing or transactional), so you cannot reply by "
                    "SMS. They can text START to opt in.",
                    who=profile.display_name,
                ),
            )
        return None

    def card(self, ticket):
        """The customer's number and whether they may be texted: their
        consent state (never asked, opted in, opted out)."""
        profile = ticket.profile
        if not profile.phone:
            return ChannelCard(_("SMS"), [CardFact(_("Number"), _("an alphanumeric sender id (cannot receive)"))])
        current = consent.state(profile.phone, profile.sms_consent)
        label = str(consent.LABELS[current])
        if profile.sms_consent in SMS_CONSENT:
            label = f"{label} ({profile.sms_consent})"
        return ChannelCard(
            _("SMS"),
            [
                CardFact(_("Number"), profile.phone, href=f"tel:{profile.phone}"),
                CardFact(_("Consent"), label, state=current),
            ],
        )

    def send(self, outbound):
        settings = self.settings
        body, codes = outbound.text, []
        public_url = settings.get("public_url")
        if settings.get("link_shortening") and public_url:
            body, codes = links.shorten(body, outbound.message_id, public_url)
        elif settings.get("link_shortening"):
            log.warning("SMS link shortening is on but no public URL is set; links are sent as written")
        callback = public_url + "/sms/twilio/status" if public_url else None
        sent = twilio_api.send_sms(settings, outbound.to_phone, body, status_callback=callback)
        meta = {"status": sent.status, "segments": sent.num_segments}
        if codes:
            meta["short_links"] = codes
        return SendResult(external_id=sent.sid, meta={"sms": meta})
