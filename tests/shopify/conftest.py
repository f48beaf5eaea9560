"""Fixtures for the Shopify plugin tests: the kit's fake Shopify shop
(``fake_shopify``) with the plugin connected to it."""

import pytest

from app.testing.shopify import post_webhook


@pytest.fixture
def shop(app, fake_shopify):
    """The fake shop, with the plugin's settings pointing at it."""
    app.extensions["helpline.plugins"].set_settings("shopify", fake_shopify.settings())
    return fake_shopify


@pytest.fixture
def deliver(client, shop):
    """``deliver(topic, payload, **kwargs)`` posts a webhook signed with the shop's secret."""

    def post(topic, payload, via=None, **kwargs):
        return post_webhook(via or client, topic, payload, shop.webhook_secret, **kwargs)

    return post
