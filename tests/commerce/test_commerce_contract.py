"""The commerce provider contract, run against the kit's fake provider, so a
broken contract is caught here before it misleads a plugin author."""

import pytest

from app.testing import CommerceProviderContract, FakeCommercePlugin


class TestFakeCommerceProvider(CommerceProviderContract):
    plugin_name = "contract-shop"
    slug = "contractshop"
    valid_settings = {"shop_name": "Contract shop"}
    invalid_settings = {"shop_name": "x" * 101}

    @pytest.fixture
    def commerce_env(self, register_plugin):
        return register_plugin(FakeCommercePlugin(slug="contractshop", label="Contract shop"), self.plugin_name)

    def deliver_order(self, env, client, external_id, email, quantity=2, updated_at=None):
        env.place(external_id=external_id, email=email, lines=[("Tea", quantity, "4.00")], updated_at=updated_at)

    def refuse_next(self, env, message):
        env.refuse_next(message)
