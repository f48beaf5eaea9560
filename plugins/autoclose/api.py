"""Auto-close's REST API at /api/v1/autoclose (flask-smorest, in the OpenAPI
document): the preview of what the rule would do."""

from __future__ import annotations

import datetime as dt

from flask_smorest import Blueprint

from app.plugin import answers_while_off, plugin_settings, require

from . import preview as previews
from .schemas import AutoClosePreview, PreviewQuery

bp = Blueprint("autoclose_api", __name__, url_prefix="/autoclose", description="Auto-close: preview before enabling.")


def aware(rows):
    """Stored times are naive UTC; the API answers with an offset."""
    for row in rows:
        row["awaiting_customer_since"] = row["awaiting_customer_since"].replace(tzinfo=dt.UTC)
    return rows


@bp.get("/preview")
@answers_while_off
@require("settings")
@bp.arguments(PreviewQuery, location="query")
@bp.response(200, AutoClosePreview)
def get_preview(args):
    """How many open or snoozed tickets would close now with this period,
    and about how many per day over the last 30 days; read-only."""
    settings = plugin_settings("autoclose")
    result = previews.preview(
        args.get("inactivity_days", settings["inactivity_days"]), settings["typing_grace_minutes"]
    )
    result["sample"] = aware(result["sample"])
    return result
