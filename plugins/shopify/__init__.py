"""Shopify: orders and customers from a Shopify shop (webhooks and a history
import through the Admin GraphQL API), and order edits and cancellations
done in the shop for agents. See docs/commerce.md, "Shopify"."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

display_name = _l("Shopify")
description = _l(
    "Orders and customers from your Shopify shop beside every ticket (webhooks and a history import), and order edits and cancellations agents make without leaving Helpline."
)


@hookimpl
def helpline_register_commerce_providers():
    """The Shopify commerce provider (order operations)."""
    from .provider import ShopifyProvider

    return [ShopifyProvider]


@hookimpl
def helpline_register_settings():
    """The shop domain, the custom app's access token and webhook secret."""
    from .schemas import ShopifySettings

    return ShopifySettings


@hookimpl
def helpline_register_models():
    """Webhook deliveries already applied and the history import's progress."""
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    """The webhook endpoint and the settings page."""
    from .views import bp

    return [bp]


@hookimpl
def helpline_register_tasks():
    """The history import and the nightly pruning of delivery ids."""
    return ["plugins.shopify.tasks"]


@hookimpl
def helpline_register_commands():
    """``helpline shopify check|backfill|status``."""
    from .cli import shopify_group

    return [shopify_group]


@hookimpl
def helpline_register_ui_fragments():
    return [("settings_nav", "shopify/settings_nav.html")]
