"""HTTP entry points of the Shopify plugin: the webhook endpoint (HMAC
checked, CSRF exempt) and the settings page's connection check and order
import (owners and admins)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.plugin import csrf_exempt, error_response, plugin_settings, require, unlimited

from . import backfill, credentials, tasks, webhooks
from .client import ShopifyError, check_connection
from .schemas import API_VERSION, TOPICS

bp = Blueprint("shopify", __name__, template_folder="templates")


@bp.post("/shopify/webhooks")
@csrf_exempt  # Shopify cannot send a CSRF token; the HMAC authenticates it
@unlimited  # refused deliveries pile up as retries, and Shopify drops a subscription that keeps failing
def webhook():
    """Every topic Helpline handles arrives here (``X-Shopify-Topic`` says which)."""
    request.max_content_length = webhooks.MAX_WEBHOOK_BYTES
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return error_response(413, "too_large", _("The request is too large."))
    try:
        outcome = webhooks.receive(request.headers, body, plugin_settings("shopify"))
    except webhooks.WebhookRejected as exc:
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    return jsonify(ok=True, outcome=outcome)


@bp.get("/settings/shopify")
@require("settings")
def settings_page():
    """Connection, webhook set-up and the order import's progress."""
    settings = plugin_settings("shopify")
    state = backfill.progress()
    return render_template(
        "shopify/settings.html",
        title=_("Shopify"),
        settings=settings,
        configured=credentials.configured(settings),
        webhooks_configured=bool(credentials.webhook_secret(settings)),
        webhook_url=url_for("shopify.webhook", _external=True),
        topics=TOPICS,
        api_version=API_VERSION,
        state=state,
        summary=backfill.describe(state),
    )


@bp.post("/settings/shopify/check")
@require("settings")
def check():
    """Ask the shop who it is, and say what happened."""
    try:
        shop = check_connection(plugin_settings("shopify"))
    except ShopifyError as exc:
        flash(_("Could not connect to Shopify: %(error)s", error=exc.message), "error")
    else:
        flash(
            _("Connected to %(name)s (%(domain)s).", name=shop.get("name") or "?", domain=shop.get("myshopifyDomain")),
            "success",
        )
    return redirect(url_for("shopify.settings_page"))


@bp.post("/settings/shopify/backfill")
@require("settings")
def start_backfill():
    """Queue the order import (from its checkpoint, or from the start)."""
    if not credentials.configured(plugin_settings("shopify")):
        flash(_("Connect the shop first: its domain and the app's credentials."), "error")
    else:
        try:
            tasks.queue_backfill(restart=request.form.get("restart") == "1")
        except backfill.BackfillBusy:
            flash(_("An import is already running."), "error")
        else:
            flash(_("The order import has started."), "success")
    return redirect(url_for("shopify.settings_page"))
