"""Fixtures for the Shopify plugin tests: the kit's fake Shopify shop
(``fake_shopify``) with the plugin connected to it."""

import pytest

from app.db import db
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


def parallel(app, calls):
    """Run each ``call(client)`` at once in its own thread with its own test
    client and database connection; returns the responses."""
    import threading

    responses, barrier = [], threading.Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait()
        try:
            responses.append(call(client))
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
