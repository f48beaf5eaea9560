"""Twilio status callbacks: the delivery state of outbound SMS. Twilio's
detailed status is kept in ``meta["sms"]``; the core's ``delivery_state``
gets ``sent`` (sent, delivered, read) or ``failed`` (failed, undelivered,
canceled). Callbacks may arrive out of order, so a state never goes back."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from app.plugin import Message, after_commit, now, publish, write_transaction

RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}
FAILED = {"failed", "undelivered", "canceled"}
SENT = {"sent", "delivered", "read"}


def apply_status(message_sid, status, error_code=""):
    """Record a status for the outbound message with this MessageSid;
    returns the message, or None when no such message is known."""
    with write_transaction():
        message = (
            Message.select()
            .where(
                (Message.channel == "sms") & (Message.external_id == message_sid) & (Message.direction == "outbound")
            )
            .first()
        )
        if message is None:
            return None
        sms = dict(message.meta.get("sms") or {})
        current = sms.get("status")
        if current in FAILED:
            return message
        if status in RANK and current in RANK and RANK[status] < RANK[current]:
            return message
        sms.update(status=status, status_at=now().replace(tzinfo=dt.UTC).isoformat(timespec="seconds"))
        if error_code:
            sms["error_code"] = error_code
        fields = {Message.meta: {**message.meta, "sms": sms}}
        if status in SENT:
            fields[Message.delivery_state] = "sent"
        elif status in FAILED:
            fields[Message.delivery_state] = "failed"
            fields[Message.delivery_error] = (
                _("Twilio reported %(status)s (error %(code)s)", status=status, code=error_code)
                if error_code
                else _("Twilio reported %(status)s", status=status)
            )
        Message.update(fields).where(Message.id == message.id).execute()
        state = fields.get(Message.delivery_state, message.delivery_state)
        after_commit(
            lambda: publish(
                "message.updated",
                {
                    "ticket_id": message.ticket_id,
                    "message_id": message.id,
                    "delivery_state": state,
                    "sms_status": status,
                },
            )
        )
    return Message.get_by_id(message.id)
