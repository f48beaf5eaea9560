"""The SMS plugin's REST API at /api/v1/sms (flask-smorest, in the OpenAPI
document): campaign and flow SMS sent by a marketing system, for
attribution, and the problems in the saved settings."""

from __future__ import annotations

import datetime as dt
import logging

from flask_smorest import Blueprint

from app.plugin import current_agent, plugin_settings, require

from . import alerts, attribution
from .schemas import SentSmsOut, SentSmsSchema, SettingsWarnings

log = logging.getLogger(__name__)

bp = Blueprint(
    "sms_api",
    __name__,
    url_prefix="/sms",
    description="SMS: campaign and flow SMS sent elsewhere (for attribution), settings warnings.",
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
