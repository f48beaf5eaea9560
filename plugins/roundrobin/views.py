"""The round-robin settings page (admins): a form over the settings schema."""

import marshmallow
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.plugin import INBOX_ROLES, dry_run, get_plugins, require, role_labels

from .preview import preview

bp = Blueprint("roundrobin", __name__, template_folder="templates", url_prefix="/rules/roundrobin")


def _cap(raw):
    """Empty means no cap (0); a number as int; anything else as text so
    the schema names the error."""
    raw = (raw or "").strip()[:20]
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        return raw


@bp.route("/settings", methods=["GET", "POST"])
@require("settings")
def settings_page():
    """Show the settings; on POST validate, save and come back."""
    plugins = get_plugins()
    errors, values = {}, plugins.get_settings("roundrobin")
    if request.method == "POST":
        values = {
            "enabled": request.form.get("enabled") == "on",
            "dry_run": request.form.get("dry_run") == "on",
            "roles": request.form.getlist("roles")[: len(INBOX_ROLES) + 1],
            "max_open_per_agent": _cap(request.form.get("max_open_per_agent")),
        }
        try:
            plugins.set_settings("roundrobin", values)
        except marshmallow.ValidationError as err:
            errors = {
                field: " ".join(
                    map(str, messages if isinstance(messages, list) else [m for ms in messages.values() for m in ms])
                )
                for field, messages in err.messages.items()
            }
        else:
            return redirect(url_for("roundrobin.settings_page", saved=1))
    # Errors re-render the form with 200: it is a page for people, not an API.
    return render_template(
        "roundrobin/settings.html",
        values=values,
        errors=errors,
        roles=INBOX_ROLES,
        preview=preview(),
        dry_run_days=dry_run.per_day("roundrobin"),
        dry_run_recent=dry_run.recent("roundrobin"),
        role_labels=role_labels(),
        saved=request.args.get("saved") == "1" and not errors,
        title=_("Round-robin assignment"),
    )
