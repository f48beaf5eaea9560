"""The commerce provider contract, run against the Shopify plugin through
its real entry points: signed webhooks in, Admin GraphQL mutations out (the
kit's fake Shopify)."""

import dataclasses

import pytest

from app.models import Order
from app.testing import CommerceProviderContract
from app.testing.shopify import post_webhook


@dataclasses.dataclass
class ShopEnv:
    shop: object
    #: the contract names orders ("contract-1"); Shopify numbers them
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
        env = ShopEnv(shop)
        self._numbers = env.numbers
        return env

    def deliver_order(self, env, client, external_id, email, quantity=2, updated_at=None):
        shop = env.shop
        if external_id in env.numbers:
            placed = shop.orders[env.numbers[external_id]]
            line = placed["line_items"][0]
            line["quantity"] = line["current_quantity"] = quantity
            topic = "orders/updated"
        else:
            customer = shop.add_customer(email=email)
            placed = shop.add_order(customer, lines=[("Tea", quantity, "4.00")])
            env.numbers[external_id] = placed["id"]
            topic = "orders/create"
        placed["updated_at"] = updated_at or shop.clock.now()
        response = post_webhook(client, topic, shop.order_payload(placed["id"]), shop.webhook_secret)
        assert response.status_code == 200, response.get_json()

    def refuse_next(self, env, message):
        env.shop.refuse_next(message)

    def _order(self, external_id):
        return super()._order(str(self._numbers[external_id]))

    def test_order_delivery_is_idempotent(self, app, client, commerce_env):
        # The contract's own version queries the label itself; Shopify's ids are numbers.
        for _ in range(3):
            self.deliver_order(commerce_env, client, "contract-1", "buyer1@example.net")
        rows = Order.select().where(
            (Order.source == self.slug) & (Order.external_id == str(self._numbers["contract-1"]))
        )
        assert rows.count() == 1
        order = rows.get()
        assert order.profile.email == "buyer1@example.net"
        assert [line["quantity"] for line in order.lines] == [2]
        assert order.status == "open"
