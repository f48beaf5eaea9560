"""The web chat settings page for owners and admins: the snippet, and the
signed-customer secret, generated or rotated here and shown only once."""

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from app.plugin import form_failed, plugin_settings, require

from . import conversations as convs
from . import identity

bp = Blueprint("webchat_admin", __name__, template_folder="templates")


def _page(new_secret=None, status=200):
    settings = plugin_settings("webchat")
    base = request.host_url.rstrip("/")
    response = render_template(
        "webchat/settings.html",
        snippet=f'<script src="{base}/webchat/widget.js" data-key="{convs.ensure_site_key()}" async></script>',
        has_secret=bool(settings["identity_secret"]),
        new_secret=new_secret,
        settings=settings,
    )
    # A page showing a secret must never be kept by a cache or the back button.
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/settings/webchat")
@require("settings")
def settings_page():
    """The snippet and the signed-customer secret's state (never the secret)."""
    return _page()


@bp.post("/settings/webchat/identity-secret")
@require("settings")
def rotate_identity_secret():
    """Generate the secret, or replace it: the old one stops working at once,
    so replacing needs the confirmation box ticked. Shows the new secret once."""
    if plugin_settings("webchat")["identity_secret"] and request.form.get("confirm") != "yes":
        return form_failed(
            url_for("webchat_admin.settings_page"),
            _("Tick the box to confirm: your shop's current signatures stop working."),
            field="confirm",
            status=422,
        )
    return _page(new_secret=identity.rotate_secret())
