"""The address auto-close's settings had before they moved to the generated
settings page: links in automatic-close notices lead there, so it
stays, as a redirect (query string kept: ``?preview_days=``)."""

from flask import Blueprint, redirect, request, url_for

from app.plugin import answers_while_off, require

bp = Blueprint("autoclose", __name__, template_folder="templates", url_prefix="/rules/autoclose")


@bp.get("/settings")
@answers_while_off
@require("settings")
def settings_page():
    """Redirect to Settings → Plugins → Auto-close."""
    return redirect(url_for("web.plugin_settings", name="autoclose", **request.args), 301)
