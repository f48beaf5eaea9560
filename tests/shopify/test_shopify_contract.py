"""The commerce provider contract, run against the Shopify plugin through
its real entry points: signed webhooks in, Admin GraphQL mutations out (the
kit's fake Shopify)."""

import dataclasses

import pytest

from app.testing import CommerceProviderContract
from app.testing.shopify import post_webhook


@dataclasses.dataclass
class ShopEnv:
    shop: object
    #: the contract's order keys -> the ids Shopify gave those orders
    numbers: dict = dataclasses.field(default_factory=dict)


class TestShopifyProvider(CommerceProviderContract):
    plugin_name = slug = "shopify"
    valid_settings = {
        "shop_domain": "my-shop.myshopify.com",
        "access_token": "shpat_" + "a" * 32,
        "webhook_secret": "secret",
        "backfill_page_size": 100,
    }
    invalid_settings = {"shop_domain": "my-shop.example.com", "backfill_page_size": 251}

    @pytest.fixture
    def commerce_env(self, app, shop):
        return ShopEnv(shop)

    def deliver_order(self, env, client, key, email, quantity=2, updated_at=None):
        shop = env.shop
        if key in env.numbers:
            placed = shop.orders[env.numbers[key]]
            line = placed["line_items"][0]
            line["quantity"] = line["current_quantity"] = quantity
            topic = "orders/updated"
        else:
            customer = shop.add_customer(email=email)
            placed = shop.add_order(customer, lines=[("Tea", quantity, "4.00")])
            env.numbers[key] = placed["id"]
            topic = "orders/create"
        placed["updated_at"] = updated_at or shop.clock.now()
        response = post_webhook(client, topic, shop.order_payload(placed["id"]), shop.webhook_secret)
        assert response.status_code == 200, response.get_json()
        return str(placed["id"])

    def refuse_next(self, env, message):
        env.shop.refuse_next(message)
