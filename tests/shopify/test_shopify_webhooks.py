"""Shopify's webhooks: signed deliveries store orders and customers once;
anything unsigned, mis-signed, oversized or malformed stores nothing."""

import json
from decimal import Decimal

import pytest

from app.models import ContactIdentity, Order, Profile
from app.testing.shopify import post_webhook, sign_webhook
from plugins.shopify.models import SeenWebhook
from plugins.shopify.webhooks import MAX_WEBHOOK_BYTES, prune_seen


def _nothing_stored():
    return Order.select().count() == 0 and Profile.select().count() == 0 and SeenWebhook.select().count() == 0


def test_orders_create_stores_the_order_for_its_customer(app, shop, deliver):
    ana = shop.add_customer(email="ana@example.net", phone="+34600111222", first_name="Ana", last_name="García")
    placed = shop.add_order(ana, lines=[("Blue mug", 2, "12.50"), ("Tea", 1, "4.00")], shipping="5.00")
    response = deliver("orders/create", shop.order_payload(placed["id"]))
    assert response.status_code == 200 and response.get_json() == {"ok": True, "outcome": "stored"}
    order = Order.get((Order.source == "shopify") & (Order.external_id == str(placed["id"])))
    assert order.name == placed["name"] and order.status == "open" and order.currency == "USD"
    assert order.total == Decimal("34.00") and order.subtotal == Decimal("29.00")
    assert order.financial_status == "paid" and order.fulfillment_status == "unfulfilled"
    assert [(line["title"], line["quantity"], line["unit_price"]) for line in order.lines] == [
        ("Blue mug", 2, "12.50"),
        ("Tea", 1, "4.00"),
    ]
    assert order.url == f"https://{shop.shop}/admin/orders/{placed['id']}"
    assert order.profile.email == "ana@example.net" and order.profile.name == "Ana García"
    assert ContactIdentity.get(source="shopify", external_id=str(ana["id"])).profile_id == order.profile_id


def test_the_same_delivery_ten_times_at_once_stores_one_order(app, shop, in_threads):
    placed = shop.add_order(shop.add_customer(email="bo@example.net"))
    body = json.dumps(shop.order_payload(placed["id"])).encode()
    responses = []

    def deliver_once(_):
        client = app.test_client()
        responses.append(post_webhook(client, "orders/create", body, shop.webhook_secret, webhook_id="delivery-1"))

    assert in_threads(deliver_once, n=10) == []
    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.get_json()["outcome"] for r in responses) == ["duplicate"] * 9 + ["stored"]
    assert Order.select().where(Order.external_id == str(placed["id"])).count() == 1
    assert Profile.select().where(Profile.email == "bo@example.net").count() == 1
    assert SeenWebhook.select().count() == 1


def test_new_deliveries_of_one_order_update_it_in_place(app, shop, deliver, clock):
    placed = shop.add_order(shop.add_customer(email="cy@example.net"), lines=[("Cup", 3, "8.00")])
    deliver("orders/create", shop.order_payload(placed["id"]))
    older = shop.order_payload(placed["id"])
    clock.advance(minutes=5)
    placed["line_items"][0]["current_quantity"] = 1
    placed["updated_at"] = clock.now()
    assert deliver("orders/updated", shop.order_payload(placed["id"])).status_code == 200
    assert Order.get(Order.external_id == str(placed["id"])).lines[0]["quantity"] == 1
    # A late re-send of the older version (a new delivery id) changes nothing.
    assert deliver("orders/updated", older).status_code == 200
    order = Order.get(Order.external_id == str(placed["id"]))
    assert order.lines[0]["quantity"] == 1 and order.total == Decimal("8.00")
    assert Order.select().count() == 1


def test_orders_cancelled_marks_the_order_cancelled(app, shop, deliver, clock):
    placed = shop.add_order(shop.add_customer(email="di@example.net"))
    deliver("orders/create", shop.order_payload(placed["id"]))
    clock.advance(minutes=1)
    placed.update(cancelled_at=clock.now(), closed_at=clock.now(), updated_at=clock.now(), cancel_reason="customer")
    placed["financial_status"] = "refunded"
    deliver("orders/cancelled", shop.order_payload(placed["id"]))
    order = Order.get(Order.external_id == str(placed["id"]))
    assert order.status == "cancelled" and order.cancelled_at == clock.now()
    assert order.financial_status == "refunded"


def test_a_bad_signature_stores_nothing(app, shop, client):
    placed = shop.add_order(shop.add_customer(email="eve@example.net"))
    body = json.dumps(shop.order_payload(placed["id"])).encode()
    wrong_secret = post_webhook(client, "orders/create", body, "not-the-secret")
    tampered = post_webhook(
        client,
        "orders/create",
        body.replace(b"eve@", b"mallory@"),
        shop.webhook_secret,
        headers={"X-Shopify-Hmac-Sha256": sign_webhook(body, shop.webhook_secret)},
    )
    unsigned = post_webhook(client, "orders/create", body, shop.webhook_secret, headers={"X-Shopify-Hmac-Sha256": None})
    garbage = post_webhook(
        client, "orders/create", body, shop.webhook_secret, headers={"X-Shopify-Hmac-Sha256": "x" * 500}
    )
    for response in (wrong_secret, tampered, unsigned, garbage):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "bad_signature"
    assert _nothing_stored()


def test_webhooks_are_refused_until_a_secret_is_set(app, fake_shopify, client):
    placed = fake_shopify.add_order()
    response = post_webhook(client, "orders/create", fake_shopify.order_payload(placed["id"]), "")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "not_configured"
    assert _nothing_stored()


def test_signed_but_unusable_deliveries_are_refused_with_a_reason(app, shop, deliver):
    placed = shop.add_order(shop.add_customer(email="fay@example.net"))
    payload = shop.order_payload(placed["id"])
    topic = deliver("products/create", payload)
    assert topic.status_code == 422 and topic.get_json()["error"]["code"] == "unsupported_topic"
    no_id = deliver("orders/create", payload, headers={"X-Shopify-Webhook-Id": None})
    assert no_id.status_code == 400
    not_json = deliver("orders/create", b"{not json")
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "invalid_json"
    deep = deliver("orders/create", b"[" * 100_000 + b"]" * 100_000)
    assert deep.status_code == 400
    bad = deliver("orders/create", {**payload, "id": "abc", "currency": "dollars", "line_items": [{"id": -1}]})
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert {"id", "currency", "line_items"} <= set(fields)
    assert _nothing_stored()


def test_an_oversized_body_is_refused_before_it_is_read(app, shop, deliver):
    response = deliver("orders/create", b"{" + b" " * MAX_WEBHOOK_BYTES + b"}")
    assert response.status_code == 413
    assert _nothing_stored()


def test_a_verified_customer_joins_the_profile_with_that_email(app, shop, deliver):
    existing = Profile.create(name="Gil", email="gil@example.net")
    gil = shop.add_customer(email="gil@example.net", first_name="Gil", last_name="Moss", verified_email=True)
    assert deliver("customers/create", shop.customer_payload(gil["id"])).status_code == 200
    assert ContactIdentity.get(source="shopify", external_id=str(gil["id"])).profile_id == existing.id


def test_an_unverified_email_never_joins_another_customers_profile(app, shop, deliver):
    victim = Profile.create(name="Hal", email="hal@example.net")
    impostor = shop.add_customer(email="hal@example.net", first_name="Not", last_name="Hal", verified_email=False)
    assert deliver("customers/create", shop.customer_payload(impostor["id"])).status_code == 200
    identity = ContactIdentity.get(source="shopify", external_id=str(impostor["id"]))
    assert identity.profile_id != victim.id
    assert Profile.get_by_id(identity.profile_id).email is None
    # Later orders of that Shopify customer follow its identity, not the email.
    placed = shop.add_order(impostor)
    deliver("orders/create", shop.order_payload(placed["id"]))
    assert Order.get(Order.external_id == str(placed["id"])).profile_id == identity.profile_id


def test_an_order_of_a_customer_with_an_unverified_email_stays_off_its_owners_profile(app, shop, deliver):
    victim = Profile.create(name="Hal", email="hal@example.net")
    impostor = shop.add_customer(email="hal@example.net", first_name="Not", last_name="Hal", verified_email=False)
    placed = shop.add_order(impostor)
    assert deliver("orders/create", shop.order_payload(placed["id"])).status_code == 200
    order = Order.get(Order.external_id == str(placed["id"]))
    assert order.profile_id != victim.id and victim.orders.count() == 0
    # The address is kept as the impostor's unverified claim, shown to agents, matching nobody.
    claim = ContactIdentity.get((ContactIdentity.profile == order.profile_id) & (ContactIdentity.source == "email"))
    assert claim.external_id == "hal@example.net" and not claim.verified
    assert Profile.get_by_id(order.profile_id).email is None


def test_customers_update_is_idempotent_by_delivery_and_by_customer(app, shop, deliver):
    ivy = shop.add_customer(email="ivy@example.net", first_name="Ivy")
    payload = shop.customer_payload(ivy["id"])
    for delivery in ("d1", "d1", "d2"):
        assert deliver("customers/update", payload, webhook_id=delivery).status_code == 200
    assert ContactIdentity.select().where(ContactIdentity.source == "shopify").count() == 1
    assert Profile.select().where(Profile.email == "ivy@example.net").count() == 1
    assert SeenWebhook.select().count() == 2


def test_a_disabled_plugin_answers_404(app, shop, deliver):
    app.extensions["helpline.plugins"].set_enabled("shopify", False)
    placed = shop.add_order()
    assert deliver("orders/create", shop.order_payload(placed["id"])).status_code == 404
    assert _nothing_stored()


def test_delivery_ids_are_forgotten_after_a_week(app, shop, deliver, clock):
    deliver("customers/create", shop.customer_payload(shop.add_customer(email="jo@example.net")["id"]))
    clock.advance(days=6)
    deliver("customers/create", shop.customer_payload(shop.add_customer(email="kai@example.net")["id"]))
    clock.advance(days=2)
    assert prune_seen() == 1
    assert SeenWebhook.select().count() == 1


def test_an_order_with_no_customer_is_acknowledged_and_not_stored(app, shop, deliver):
    walk_in = shop.add_order(customer=None)
    response = deliver("orders/create", shop.order_payload(walk_in["id"]))
    # A 2xx, or Shopify would retry it for hours and then drop the subscription.
    assert response.status_code == 200 and response.get_json()["outcome"] == "skipped"
    assert Order.select().count() == 0 and SeenWebhook.select().count() == 1


def test_a_phone_that_cannot_be_dialled_does_not_cost_the_customer(app, shop, deliver):
    odd = shop.add_customer(email="odd@example.net", phone="call me maybe", first_name="Odd")
    assert deliver("customers/create", shop.customer_payload(odd["id"])).status_code == 200
    placed = shop.add_order(odd)
    assert deliver("orders/create", shop.order_payload(placed["id"])).status_code == 200
    order = Order.get(Order.external_id == str(placed["id"]))
    assert order.profile.email == "odd@example.net" and order.profile.phone is None
    assert ContactIdentity.get(source="shopify", external_id=str(odd["id"])).profile_id == order.profile_id


class TestUnderADefaultRateLimit:
    """An operator's default limit for every route (``RATELIMIT_DEFAULT``)
    never refuses Shopify's signed deliveries: Shopify removes a webhook
    subscription whose deliveries keep failing."""

    @pytest.fixture
    def helpline_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}

    def test_a_burst_of_orders_is_stored_whole(self, app, shop, deliver):
        customer = shop.add_customer(email="cy@example.net")
        placed = [shop.add_order(customer) for _ in range(5)]
        answers = [deliver("orders/create", shop.order_payload(order["id"])).status_code for order in placed]
        assert answers == [200] * 5
        assert Order.select().count() == 5
