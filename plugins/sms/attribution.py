"""Attribution of inbound SMS to the campaign or flow SMS that prompted them.

Rules: an inbound SMS received within the window (inclusive) after a
campaign/flow SMS was sent to that number is attributed to the *latest* such
SMS sent at or before it; each sent SMS is claimed by the *first* inbound
message after it only. Keyword messages (STOP, HELP...) claim nothing.
"""

from __future__ import annotations

import datetime as dt

import peewee

from app.plugin import ShapedStatement, db, normalize_phone, now, write_transaction

from .models import SentCampaignSms


def record_sent(phone, source_type, source_id, source_name="", send_id=None, body="", sent_at=None):
    """Record a campaign or flow SMS the marketing system sent. Returns
    ``(row, created)``; a ``send_id`` seen before returns the stored row.

    This is the Python entry for marketing code running in the same
    process; ``POST /sms/api/sent`` calls it for external systems.
    Raises ``app.services.ServiceError`` for a number that is not one."""
    phone = normalize_phone(phone)
    at = now()
    with write_transaction():
        if send_id:
            existing = SentCampaignSms.get_or_none(SentCampaignSms.send_id == send_id)
            if existing is not None:
                return existing, False
        try:
            with db.atomic():
                row = SentCampaignSms.create(
                    phone=phone,
                    source_type=source_type,
                    source_id=source_id[:100],
                    source_name=(source_name or "")[:200],
                    send_id=send_id,
                    body=body or "",
                    sent_at=sent_at or at,
                    created_at=at,
                )
        except peewee.IntegrityError:  # the same send_id reported twice at once
            return SentCampaignSms.get(SentCampaignSms.send_id == send_id), False
    return row, True


# Read for every inbound SMS: the SQL is built once.
_LATEST_SENT = ShapedStatement(
    lambda _shape, v: (
        SentCampaignSms.select()
        .where((SentCampaignSms.phone == v["phone"]) & (SentCampaignSms.sent_at <= v["at"]))
        .order_by(SentCampaignSms.sent_at.desc(), SentCampaignSms.id.desc())
        .limit(1)
    )
)


def candidate(phone, at, window_hours):
    """The sent SMS an inbound message at ``at`` would be attributed to, or None."""
    latest = _LATEST_SENT.first(None, {"phone": phone, "at": at})
    if latest is None or latest.attributed_message_id is not None:
        return None
    if latest.sent_at < at - dt.timedelta(hours=window_hours):
        return None
    return latest


def claim(sent, message_id):
    """Mark ``sent`` as answered by ``message_id``; False when another
    message claimed it first."""
    return bool(
        SentCampaignSms.update(attributed_message_id=message_id)
        .where((SentCampaignSms.id == sent.id) & SentCampaignSms.attributed_message_id.is_null())
        .execute()
    )


def as_meta(sent):
    """What the ticket page shows on the attributed message."""
    return {
        "sent_sms_id": sent.id,
        "source_type": sent.source_type,
        "source_id": sent.source_id,
        "source_name": sent.source_name,
        "sent_at": sent.sent_at.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
    }
