"""Marshmallow schemas of the Shopify plugin: the merchant's settings and
the parts of Shopify's webhook payloads (REST shape) Helpline reads. Unknown
keys are ignored; every value Helpline keeps is bounded."""

import re

import marshmallow as ma
from flask_babel import lazy_gettext as _l

#: The Admin API version every request is pinned to (Shopify supports each
#: stable version for at least twelve months; see docs/commerce.md).
API_VERSION = "2025-07"
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$")
TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "customers/create", "customers/update")
MAX_LINES = 1000
# Shopify's numeric ids are 64-bit integers.
MAX_ID = 2**63 - 1


class ShopifySettings(ma.Schema):
    """What a merchant configures: the shop and the custom app's credentials."""

    shop_domain = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            r"^$|" + SHOP_DOMAIN.pattern, error=_l("Write the shop's address as <name>.myshopify.com.")
        ),
        metadata={
            "label": _l("Shop domain"),
            "help": _l("Your shop's permanent address, e.g. my-shop.myshopify.com (not your own domain)."),
        },
    )
    client_id = ma.fields.String(
        load_default="",
        validate=[
            ma.validate.Length(max=100),
            ma.validate.Regexp(r"^\S*$", error=_l("The client ID has no spaces.")),
        ],
        metadata={
            "label": _l("Client ID"),
            "help": _l("For an app made in Shopify's Dev Dashboard (every new app since 2026): its Settings page."),
        },
    )
    client_secret = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=200),
        metadata={
            "label": _l("Client secret"),
            "secret": True,
            "help": _l("Next to the client ID. Helpline fetches and renews its access tokens with it."),
        },
    )
    access_token = ma.fields.String(
        load_default="",
        validate=[
            ma.validate.Length(max=200),
            ma.validate.Regexp(r"^\S*$", error=_l("The access token has no spaces.")),
        ],
        metadata={
            "label": _l("Admin API access token"),
            "secret": True,
            "help": _l(
                "Only for a custom app made in the Shopify admin before 2026: the token shown once when it was "
                "installed (shpat_…). Leave empty when you use a client ID and secret."
            ),
        },
    )
    webhook_secret = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=200),
        metadata={
            "label": _l("Webhook signing secret"),
            "secret": True,
            "help": _l(
                "Leave empty when Shopify signs webhooks with the client secret above. Otherwise the app's API "
                "secret key, or the key shown under Settings → Notifications → Webhooks for webhooks made there."
            ),
        },
    )
    backfill_page_size = ma.fields.Integer(
        load_default=50,
        validate=ma.validate.Range(min=1, max=250),
        metadata={
            "label": _l("Orders per backfill request"),
            "unit": _l("orders"),
            "help": _l("1 to 250. Helpline asks for fewer when Shopify says a page would cost too much."),
        },
    )

    @ma.pre_load
    def _clean_domain(self, data, **kwargs):
        """Accept the address as people paste it (https://, a trailing slash, capitals)."""
        value = data.get("shop_domain")
        if isinstance(value, str):
            value = value.strip().lower()
            value = re.sub(r"^https?://", "", value).split("/", 1)[0]
            data = {**data, "shop_domain": value}
        return data


def _id(**kwargs):
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


def _text(limit, **kwargs):
    return ma.fields.String(allow_none=True, load_default=None, validate=ma.validate.Length(max=limit), **kwargs)


def _optional(kwargs):
    return kwargs if kwargs.get("required") else {"allow_none": True, "load_default": None, **kwargs}


def _money(**kwargs):
    return ma.fields.Decimal(places=2, validate=ma.validate.Range(min=0, max=10**10), **_optional(kwargs))


def _time(**kwargs):
    return ma.fields.AwareDateTime(**_optional(kwargs))


class _Payload(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class CustomerPayload(_Payload):
    """A customer in ``customers/*`` webhooks and inside orders."""

    id = _id(required=True)
    email = _text(254)
    phone = _text(32)
    first_name = _text(100)
    last_name = _text(100)
    verified_email = ma.fields.Boolean(load_default=False, allow_none=True)
    updated_at = _time()


class LineItemPayload(_Payload):
    id = _id(required=True)
    title = _text(255)
    name = _text(500)
    variant_title = _text(255)
    sku = _text(255)
    quantity = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(min=0, max=1_000_000))
    current_quantity = ma.fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=ma.validate.Range(min=0, max=1_000_000)
    )
    price = _money(required=True)


class OrderPayload(_Payload):
    """An order in ``orders/*`` webhooks: the fields Helpline stores."""

    id = _id(required=True)
    name = _text(64)
    email = _text(254)
    phone = _text(32)
    created_at = _time(required=True)
    processed_at = _time()
    updated_at = _time()
    cancelled_at = _time()
    closed_at = _time()
    currency = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Z]{3}$"))
    total_price = _money()
    current_total_price = _money()
    subtotal_price = _money()
    current_subtotal_price = _money()
    financial_status = _text(32)
    fulfillment_status = _text(32)
    customer = ma.fields.Nested(CustomerPayload, allow_none=True, load_default=None)
    line_items = ma.fields.List(
        ma.fields.Nested(LineItemPayload), load_default=list, validate=ma.validate.Length(max=MAX_LINES)
    )
