"""The commerce provider contract, run against the kit's fake provider, so a
broken contract is caught here before it misleads a plugin author."""

import dataclasses

import pytest

from app.testing import CommerceProviderContract, FakeCommercePlugin


@dataclasses.dataclass
class ShopEnv:
    shop: FakeCommercePlugin
    #: the contract's order keys -> the ids the fake shop gave those orders
    numbers: dict = dataclasses.field(default_factory=dict)


class TestFakeCommerceProvider(CommerceProviderContract):
    plugin_name = "contract-shop"
    slug = "contractshop"
    valid_settings = {"shop_name": "Contract shop"}
    invalid_settings = {"shop_name": "x" * 101}

    @pytest.fixture
    def commerce_env(self, register_plugin):
        shop = FakeCommercePlugin(slug="contractshop", label="Contract shop")
        return ShopEnv(register_plugin(shop, self.plugin_name))

    def deliver_order(self, env, client, key, email, quantity=2, updated_at=None):
        # The shop numbers a new order itself; the key names it again later.
        known = {"external_id": env.numbers[key]} if key in env.numbers else {}
        order = env.shop.place(email=email, lines=[("Tea", quantity, "4.00")], updated_at=updated_at, **known)
        env.numbers[key] = order.external_id
        return order.external_id

    def refuse_next(self, env, message):
        env.shop.refuse_next(message)
