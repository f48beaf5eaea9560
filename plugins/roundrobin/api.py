"""Round-robin's REST API at /api/v1/roundrobin (flask-smorest, in the
OpenAPI document): the preview of what the rule would do."""

from flask_smorest import Blueprint

from app.plugin import answers_while_off, require

from . import preview as previews
from .schemas import RoundRobinPreview

bp = Blueprint("roundrobin_api", __name__, url_prefix="/roundrobin", description="Round-robin: preview.")


@bp.get("/preview")
@answers_while_off
@require("settings")
@bp.response(200, RoundRobinPreview)
def get_preview():
    """Who is online in the rotation now and how the Unassigned backlog
    would be spread with the saved settings; read-only."""
    return previews.preview()
