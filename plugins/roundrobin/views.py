"""The address round-robin's settings had before they moved to the generated
settings page: links in automatic-assignment notices lead there, so it
stays, as a redirect."""

from flask import Blueprint, redirect, request, url_for

from app.plugin import answers_while_off, require

bp = Blueprint("roundrobin", __name__, template_folder="templates", url_prefix="/rules/roundrobin")


@bp.get("/settings")
@answers_while_off
@require("settings")
def settings_page():
    """Redirect to Settings → Plugins → Round-robin."""
    return redirect(url_for("web.plugin_settings", name="roundrobin", **request.args), 301)
