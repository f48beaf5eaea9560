"""The auto-close settings page (admins): a form over the settings schema."""

import marshmallow
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.plugin import dry_run, get_plugins, require

from .preview import preview
from .schemas import MAX_DAYS, MIN_DAYS

bp = Blueprint("autoclose", __name__, template_folder="templates", url_prefix="/rules/autoclose")


def _number(raw):
    """A form number as int, or the raw text so the schema names the error."""
    raw = (raw or "").strip()[:20]
    try:
        return int(raw)
    except ValueError:
        return raw or None


@bp.route("/settings", methods=["GET", "POST"])
@require("settings")
def settings_page():
    """Show the settings; on POST validate, save and come back."""
    plugins = get_plugins()
    errors, values = {}, plugins.get_settings("autoclose")
    if request.method == "POST":
        values = {
            "enabled": request.form.get("enabled") == "on",
            "dry_run": request.form.get("dry_run") == "on",
            "inactivity_days": _number(request.form.get("inactivity_days")),
            "typing_grace_minutes": _number(request.form.get("typing_grace_minutes")),
        }
        try:
            plugins.set_settings("autoclose", values)
        except marshmallow.ValidationError as err:
            errors = {field: " ".join(map(str, messages)) for field, messages in err.messages.items()}
        else:
            return redirect(url_for("autoclose.settings_page", saved=1))
    # The preview reads ?preview_days= (any period, before saving it), else
    # the saved period; a period out of range falls back to the saved one.
    days = _number(request.args.get("preview_days"))
    saved = plugins.get_settings("autoclose")
    if not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        days = saved["inactivity_days"]
    # Errors re-render the form with 200: it is a page for people, not an API.
    return render_template(
        "autoclose/settings.html",
        values=values,
        errors=errors,
        preview=preview(days, saved["typing_grace_minutes"]),
        dry_run_days=dry_run.per_day("autoclose"),
        dry_run_recent=dry_run.recent("autoclose"),
        saved=request.args.get("saved") == "1" and not errors,
        title=_("Auto-close inactive tickets"),
    )
