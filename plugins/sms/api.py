"""The SMS plugin's REST API at /api/v1/sms (flask-smorest, in the OpenAPI
document): campaign and flow SMS sent by a marketing system, for
attribution, and the problems in the saved settings."""

from __future__ import annotations

import datetime as dt
import logging

from flask_smorest import Blueprint

from app.plugin import Message, current_agent, get_ticket, plugin_settings, require, utc_iso

from . import alerts, attribution, links
from .schemas import SentSmsOut, SentSmsSchema, SettingsWarnings, SmsActivityPage, SmsActivityQuery

log = logging.getLogger(__name__)

bp = Blueprint(
    "sms_api",
    __name__,
    url_prefix="/sms",
    description="SMS: campaign and flow SMS sent elsewhere (for attribution), link clicks and attribution per message, "
    "settings warnings.",
)


@bp.post("/sent")
@require("inbox")
@bp.arguments(SentSmsSchema)
@bp.response(201, SentSmsOut)
@bp.alt_response(200, schema=SentSmsOut, description="A send_id recorded before: the stored record")
def record_sent(data):
    """Record a campaign or flow SMS the marketing system sent, so that the
    customer's reply within the window is attributed to it."""
    row, created = attribution.record_sent(**data)
    log.info("campaign SMS %s recorded by agent %s", row.id, current_agent().id)
    out = {
        "id": row.id,
        "phone": row.phone,
        "source_type": row.source_type,
        "source_id": row.source_id,
        "sent_at": row.sent_at.replace(tzinfo=dt.UTC),
        "created": created,
    }
    return out, 201 if created else 200


@bp.get("/settings/warnings")
@require("settings")
@bp.response(200, SettingsWarnings)
def settings_warnings():
    """Problems in the saved settings (e.g. email alerts without an email sender)."""
    return {"warnings": alerts.settings_warnings(plugin_settings("sms"))}


def _utc(value):
    return value.replace(tzinfo=dt.UTC) if value else None


def _attribution(stored):
    # Messages attributed before sent_at carried its offset stored it naive
    # (UTC): answer it like every other time of the API.
    if stored and stored.get("sent_at"):
        sent_at = dt.datetime.fromisoformat(stored["sent_at"])
        if sent_at.tzinfo is None:
            return {**stored, "sent_at": utc_iso(sent_at)}
    return stored


@bp.get("/tickets/<int(min=1, max=2147483647):ticket_id>/messages")
@require("inbox")
@bp.arguments(SmsActivityQuery, location="query")
@bp.response(200, SmsActivityPage)
def ticket_activity(query, ticket_id):
    """Per SMS message of a ticket: the clicks on its short links and the
    campaign or flow SMS it was attributed to. Three queries per page."""
    ticket = get_ticket(ticket_id)
    rows = (
        Message.select(Message.id, Message.direction, Message.meta)
        .where((Message.ticket == ticket.id) & (Message.channel == "sms") & (Message.kind == "message"))
        .order_by(Message.id.desc())
        .limit(query["limit"] + 1)
    )
    if query.get("before"):
        rows = rows.where(Message.id < query["before"])
    rows = list(rows)
    more = len(rows) > query["limit"]
    rows = rows[: query["limit"]]
    found = links.links_by_message(ticket.id)
    items = []
    for m in rows:
        shortened = [{**link, "last_clicked_at": _utc(link["last_clicked_at"])} for link in found.get(m.id, [])]
        items.append(
            {
                "message_id": m.id,
                "direction": m.direction,
                "clicks": sum(link["clicks"] for link in shortened),
                "links": shortened,
                "attribution": _attribution((m.meta or {}).get("attribution")),
            }
        )
    return {"items": items, "before": rows[-1].id if more else None}
