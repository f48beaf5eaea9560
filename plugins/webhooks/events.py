"""What a webhook says: the event types merchants subscribe to and the JSON
body each one sends, ``{"id", "type", "created_at", "data"}``. Bodies are
built once, when the event happens, and frozen in the delivery row, so a
retry sends the same bytes and a receiver sees the state of that moment."""

import json
import uuid

from flask_babel import lazy_gettext as _l

from app.plugin import now

EVENT_TYPES = {
    "ticket.created": _l("A ticket is created"),
    "message.received": _l("A customer message arrives"),
    "ticket.status_changed": _l("A ticket is opened, snoozed or closed"),
    "ticket.assigned": _l("A ticket is assigned or unassigned"),
}
# Sent by the "Send test event" button to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"
# A customer message's text is cut here so one event stays small.
MAX_TEXT = 16 * 1024


def new_id(prefix):
    """A random public id such as ``evt_3f2a...``."""
    return f"{prefix}_{uuid.uuid4().hex}"


def iso(value):
    """A naive UTC datetime as ISO 8601 with its offset, or None."""
    return value.isoformat(timespec="seconds") + "+00:00" if value is not None else None


def agent_data(agent):
    if agent is None:
        return None
    return {"id": agent.id, "name": agent.name, "email": agent.email}


def ticket_data(ticket):
    profile = ticket.profile
    return {
        "id": ticket.id,
        "channel": ticket.channel,
        "status": ticket.status,
        "subject": ticket.subject,
        "assignee_id": ticket.assignee_id,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "snoozed_until": iso(ticket.snoozed_until),
        "closed_at": iso(ticket.closed_at),
        "closed_reason": ticket.closed_reason,
        "customer": {"id": profile.id, "name": profile.name, "email": profile.email, "phone": profile.phone},
    }


def message_data(message):
    text = message.text or ""
    return {
        "id": message.id,
        "ticket_id": message.ticket_id,
        "channel": message.channel,
        "direction": message.direction,
        "kind": message.kind,
        "author_type": message.author_type,
        "text": text[:MAX_TEXT],
        "text_truncated": len(text) > MAX_TEXT,
        "attachments": [
            {"filename": a.get("filename"), "content_type": a.get("content_type"), "size": a.get("size")}
            for a in (message.attachments or [])
            if isinstance(a, dict)
        ],
        "created_at": iso(message.created_at),
    }


def envelope(event_type, data, event_id=None):
    """The JSON body of an event, as text (compact, keys sorted: the bytes
    that are signed are the bytes that are sent)."""
    body = {"id": event_id or new_id("evt"), "type": event_type, "created_at": iso(now()), "data": data}
    return body["id"], json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sample_event(endpoint):
    """The body of the "Send test event" button."""
    return envelope(TEST_EVENT, {"endpoint_id": endpoint.id, "message": "This is a test event from Helpline."})
