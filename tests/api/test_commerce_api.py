"""The commerce API: importing orders and events (per profile and in bulk),
the lists the ticket page shows, order operations and saved event filters,
with their roles, bounds and error answers."""

import datetime as dt

import pytest

from app.models import Activity, Message, Order, Profile, ProfileEvent

ORDER = {
    "external_id": "W-1001",
    "name": "#1001",
    "currency": "eur",
    "placed_at": "2025-12-01T10:00:00+01:00",
    "updated_at": "2025-12-01T10:00:00Z",
    "lines": [
        {"external_id": "L1", "title": "Wool blanket", "sku": "WB-1", "quantity": 2, "unit_price": "39.90"},
        {"external_id": "L2", "title": "Gift wrap", "quantity": 1, "unit_price": 3},
    ],
}


@pytest.fixture
def admin_headers(make_agent, bearer):
    return bearer(make_agent(role="admin", password=None))


@pytest.fixture
def customer():
    return Profile.create(name="Ana García", email="ana@example.net")


def test_an_admin_posts_an_order_for_a_profile(client, admin_headers, customer):
    response = client.post(f"/api/v1/profiles/{customer.id}/orders", json=ORDER, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "created" and body["source"] == "api" and body["currency"] == "EUR"
    assert body["total"] == "82.80", "default total: the sum of the line totals"
    assert body["lines"][0] == {
        "external_id": "L1",
        "title": "Wool blanket",
        "sku": "WB-1",
        "variant": None,
        "quantity": 2,
        "unit_price": "39.90",
        "total": "79.80",
    }
    assert body["placed_at"] == "2025-12-01T09:00:00+00:00"
    assert body["operations"] == [], "no connected shop behind source 'api'"

    again = client.post(f"/api/v1/profiles/{customer.id}/orders", json=ORDER, headers=admin_headers)
    assert again.status_code == 200 and again.get_json()["outcome"] == "updated"
    older = dict(ORDER, updated_at="2025-11-30T00:00:00Z", status="cancelled")
    stale = client.post(f"/api/v1/profiles/{customer.id}/orders", json=older, headers=admin_headers)
    assert stale.get_json()["outcome"] == "stale" and stale.get_json()["status"] == "open"
    assert Order.select().count() == 1


def test_amounts_are_documented_as_the_decimal_strings_they_are(client):
    # A client generated from the document must not expect a JSON number.
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Order", "StoredOrder"):
        for field in ("total", "subtotal"):
            assert schemas[name]["properties"][field]["type"] == "string", (name, field)
            assert schemas[name]["properties"][field]["format"] == "decimal"


@pytest.mark.parametrize("role", ["manager", "support"])
def test_importing_needs_an_admin(client, make_agent, bearer, customer, role):
    headers = bearer(make_agent(role=role, password=None))
    response = client.post(f"/api/v1/profiles/{customer.id}/orders", json=ORDER, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert Order.select().count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"placed_at": "yesterday"}, "placed_at"),
        ({"external_id": ""}, "external_id"),
        ({"lines": [{"external_id": "L", "title": "x", "quantity": -1, "unit_price": 1}]}, "lines"),
        ({"lines": [{"external_id": "L", "title": "x\u0000", "quantity": 1, "unit_price": 1}]}, "lines"),
        (
            {"lines": [{"external_id": f"L{n}", "title": "x", "quantity": 1, "unit_price": 1} for n in range(101)]},
            "lines",
        ),
        ({"total": "1e12"}, "total"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"source": "Not A Source"}, "source"),
        ({"surprise": 1}, "surprise"),
        ({"customer": {"name": "Nobody"}}, "customer"),
        ({"customer": {"phone": "12"}}, "customer"),
    ],
)
def test_invalid_orders_are_refused_per_field(client, admin_headers, customer, change, field):
    response = client.post(f"/api/v1/profiles/{customer.id}/orders", json={**ORDER, **change}, headers=admin_headers)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    # A NUL is refused at the request's edge, which names the nested field ("lines.title").
    assert error["code"] == "invalid" and any(key.split(".")[0] == field for key in error["fields"])
    assert Order.select().count() == 0


def test_bulk_orders_resolve_customers_and_report_each(client, admin_headers):
    known = Profile.create(name="Ben", email="ben@example.net")
    items = [
        {**ORDER, "external_id": "B-1", "customer": {"email": "BEN@example.net"}},
        {
            **ORDER,
            "external_id": "B-2",
            "customer": {"external_id": "woo-7", "email": "new@example.net", "name": "Neu"},
        },
        {**ORDER, "external_id": "B-3", "customer": {"external_id": "woo-7"}},
    ]
    response = client.post("/api/v1/orders/bulk", json={"source": "woocommerce", "items": items}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["counts"] == {"created": 3}
    by_id = {r["external_id"]: r for r in body["results"]}
    assert by_id["B-1"]["profile_id"] == known.id
    assert by_id["B-2"]["profile_id"] == by_id["B-3"]["profile_id"] != known.id
    assert Profile.get_by_id(by_id["B-2"]["profile_id"]).name == "Neu"

    again = client.post("/api/v1/orders/bulk", json={"source": "woocommerce", "items": items}, headers=admin_headers)
    assert again.get_json()["counts"] == {"updated": 3}
    assert Order.select().count() == 3


def test_a_bulk_customer_marked_unverified_never_joins_the_owner_of_the_email(client, admin_headers):
    ben = Profile.create(name="Ben", email="ben@example.net")
    items = [{**ORDER, "external_id": "U-1", "customer": {"email": "ben@example.net", "verified": False}}]
    response = client.post("/api/v1/orders/bulk", json={"source": "woocommerce", "items": items}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    profile_id = response.get_json()["results"][0]["profile_id"]
    assert profile_id != ben.id and ben.orders.count() == 0
    profile = client.get(f"/api/v1/profiles/{profile_id}", headers=admin_headers).get_json()
    claims = [(i["source"], i["external_id"], i["verified"]) for i in profile["identities"]]
    assert profile["email"] is None and claims == [("email", "ben@example.net", False)]


def test_a_bulk_request_with_one_bad_item_stores_nothing(client, admin_headers):
    items = [{**ORDER, "external_id": f"B-{n}", "customer": {"email": f"c{n}@example.net"}} for n in range(5)]
    items[3] = {**items[3], "lines": [{"external_id": "L", "title": "x", "quantity": "two", "unit_price": 1}]}
    response = client.post("/api/v1/orders/bulk", json={"items": items}, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "items": {"3": {"lines": {"0": {"quantity": ["Not a valid integer."]}}}}
    }
    assert Order.select().count() == 0


def test_bulk_sizes_are_bounded(client, admin_headers):
    item = {**ORDER, "customer": {"email": "a@example.net"}}
    too_many = client.post("/api/v1/orders/bulk", json={"items": [item] * 201}, headers=admin_headers)
    assert too_many.status_code == 422 and "items" in too_many.get_json()["error"]["fields"]
    empty = client.post("/api/v1/events/bulk", json={"items": []}, headers=admin_headers)
    assert empty.status_code == 422
    huge = client.post(
        "/api/v1/orders/bulk", data="x" * (2 * 1024 * 1024), content_type="application/json", headers=admin_headers
    )
    assert huge.status_code == 413


def event(n, metric="Viewed Product", **extra):
    return {
        "external_id": f"E-{n}",
        "metric": metric,
        "occurred_at": f"2025-12-0{1 + n % 9}T08:00:00Z",
        "customer": {"email": "ana@example.net"},
        "properties": {"product": f"P{n}"},
        **extra,
    }


def test_events_bulk_is_idempotent(client, admin_headers, customer):
    items = [event(n) for n in range(4)]
    first = client.post("/api/v1/events/bulk", json={"source": "shop", "items": items}, headers=admin_headers)
    assert first.get_json()["counts"] == {"created": 4}
    second = client.post("/api/v1/events/bulk", json={"source": "shop", "items": items}, headers=admin_headers)
    assert second.get_json()["counts"] == {"duplicate": 4}
    assert ProfileEvent.select().where(ProfileEvent.profile == customer.id).count() == 4


@pytest.mark.parametrize(
    "properties",
    [
        {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}},
        {"blob": "x" * 9000},
        {f"k{n}": n for n in range(101)},
        {"text": "nul\u0000"},
    ],
    ids=["too deep", "too large", "too many keys", "NUL"],
)
def test_event_properties_are_bounded(client, admin_headers, customer, properties):
    body = {k: v for k, v in event(1, properties=properties).items() if k != "customer"}
    response = client.post(f"/api/v1/profiles/{customer.id}/events", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert any(key.split(".")[0] == "properties" for key in response.get_json()["error"]["fields"])


def test_an_event_for_a_profile(client, admin_headers, customer):
    body = {k: v for k, v in event(1).items() if k != "customer"}
    response = client.post(f"/api/v1/profiles/{customer.id}/events", json=body, headers=admin_headers)
    assert response.status_code == 201 and response.get_json()["profile_id"] == customer.id
    again = client.post(f"/api/v1/profiles/{customer.id}/events", json=body, headers=admin_headers)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"


def test_order_list_pages_newest_first(client, make_agent, bearer, fake_commerce, clock):
    for n in range(5):
        fake_commerce.place(external_id=f"o{n}", email="ana@example.net", placed_at=clock.now() - dt.timedelta(days=n))
    profile = Profile.get(Profile.email == "ana@example.net")
    headers = bearer(make_agent(role="support", password=None))
    url = f"/api/v1/profiles/{profile.id}/orders?limit=2"
    seen, cursor = [], None
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers).get_json()
        seen += [o["external_id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["o0", "o1", "o2", "o3", "o4"]
    assert body["items"][0]["operations"] == ["cancel", "edit_quantity"]
    orders_cursor = client.get(url, headers=headers).get_json()["next_cursor"]
    bad = client.get(f"/api/v1/profiles/{profile.id}/events?cursor={orders_cursor}", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_cursor"


def test_event_list_filters_by_metric(client, make_agent, bearer, fake_commerce, clock):
    for n in range(6):
        metric = "Added to Cart" if n % 2 else "Viewed Product"
        fake_commerce.track(metric, occurred_at=clock.now() - dt.timedelta(hours=n), external_id=f"ev{n}")
    profile = Profile.get(Profile.email == "customer@example.net")
    headers = bearer(make_agent(role="support", password=None))
    body = client.get(f"/api/v1/profiles/{profile.id}/events?metric=Added to Cart&limit=2", headers=headers).get_json()
    assert [e["external_id"] for e in body["items"]] == ["ev1", "ev3"]
    rest = client.get(
        f"/api/v1/profiles/{profile.id}/events?metric=Added to Cart&cursor={body['next_cursor']}", headers=headers
    ).get_json()
    assert [e["external_id"] for e in rest["items"]] == ["ev5"] and rest["next_cursor"] is None
    metrics = client.get(f"/api/v1/profiles/{profile.id}/event-metrics", headers=headers).get_json()
    assert metrics["items"] == [{"metric": "Added to Cart", "count": 3}, {"metric": "Viewed Product", "count": 3}]


def test_edit_quantity_and_cancel_through_the_api(client, make_agent, bearer, fake_commerce, fake_channel):
    order = fake_commerce.place(email="ana@example.net", lines=[("Blue mug", 2, "12.50"), ("Saucer", 1, "4.00")])
    ticket = fake_channel.receive("Please make it one mug", email="ana@example.net").ticket
    support = bearer(make_agent(role="support", password=None))
    manager = bearer(make_agent(role="manager", name="Mia", password=None))
    line = order.lines[0]["external_id"]

    denied = client.post(
        f"/api/v1/orders/{order.id}/edit-quantity", json={"line_id": line, "quantity": 1}, headers=support
    )
    assert denied.status_code == 403

    response = client.post(
        f"/api/v1/orders/{order.id}/edit-quantity",
        json={"line_id": line, "quantity": 1, "ticket_id": ticket.id},
        headers=manager,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["lines"][0]["quantity"] == 1 and body["total"] == "16.50"
    assert fake_commerce.calls[-1][:4] == ("edit_quantity", order.external_id, line, 1)
    notice = Message.get((Message.ticket == ticket.id) & (Message.kind == "notice"))
    assert notice.text == f"Order {order.name}: quantity of Blue mug changed 2 → 1 by Mia"
    assert Activity.get(Activity.action == "order_quantity_changed").data["new"] == 1

    fake_commerce.refuse_next("Order has been fulfilled and cannot be edited.")
    refused = client.post(f"/api/v1/orders/{order.id}/cancel", json={"ticket_id": ticket.id}, headers=manager)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == {
        "code": "provider_refused",
        "message": "Order has been fulfilled and cannot be edited.",
    }

    cancelled = client.post(
        f"/api/v1/orders/{order.id}/cancel",
        json={"reason": "customer", "refund": True, "restock": True, "notify": False},
        headers=manager,
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["operations"] == []
    assert fake_commerce.calls[-1][:6] == ("cancel", order.external_id, "customer", True, True, False)
    again = client.post(f"/api/v1/orders/{order.id}/cancel", json={}, headers=manager)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "operation_unavailable"


def test_operation_errors_are_clear(client, make_agent, bearer, fake_commerce, fake_channel):
    order = fake_commerce.place(email="ana@example.net")
    other_ticket = fake_channel.receive("Hi", email="someone@example.net").ticket
    headers = bearer(make_agent(role="owner", password=None))
    wrong_line = client.post(
        f"/api/v1/orders/{order.id}/edit-quantity", json={"line_id": "nope", "quantity": 1}, headers=headers
    )
    assert wrong_line.status_code == 404 and wrong_line.get_json()["error"]["fields"] == {
        "line_id": [f"Order {order.name} has no line nope."]
    }
    same = client.post(
        f"/api/v1/orders/{order.id}/edit-quantity",
        json={"line_id": order.lines[0]["external_id"], "quantity": 2},
        headers=headers,
    )
    assert same.status_code == 400 and same.get_json()["error"]["code"] == "unchanged"
    foreign = client.post(f"/api/v1/orders/{order.id}/cancel", json={"ticket_id": other_ticket.id}, headers=headers)
    assert foreign.status_code == 422 and "ticket_id" in foreign.get_json()["error"]["fields"]
    assert client.get("/api/v1/orders/999999", headers=headers).status_code == 404
    assert fake_commerce.calls == []


def test_an_unreachable_shop_is_a_502_not_a_crash(client, make_agent, bearer, fake_commerce):
    order = fake_commerce.place(email="ana@example.net")
    fake_commerce.orders.clear()
    fake_commerce._change = lambda *args: (_ for _ in ()).throw(ConnectionError("down"))
    response = client.post(f"/api/v1/orders/{order.id}/cancel", json={}, headers=bearer(make_agent(role="owner")))
    assert response.status_code == 502 and response.get_json()["error"]["code"] == "provider_error"


def test_saved_event_views_are_personal(client, make_agent, bearer):
    mine = bearer(make_agent(role="support", password=None))
    theirs = bearer(make_agent(role="support", password=None))
    created = client.post("/api/v1/event-views", json={"name": "Carts", "metric": "Added to Cart"}, headers=mine)
    assert created.status_code == 201
    view = created.get_json()
    duplicate = client.post("/api/v1/event-views", json={"name": "Carts", "metric": "Viewed Product"}, headers=mine)
    assert duplicate.status_code == 409 and duplicate.get_json()["error"]["fields"] == {
        "name": ["You already have a view named Carts."]
    }
    assert client.get("/api/v1/event-views", headers=theirs).get_json()["items"] == []
    assert client.delete(f"/api/v1/event-views/{view['id']}", headers=theirs).status_code == 404
    listed = client.get("/api/v1/event-views", headers=mine).get_json()["items"]
    assert [(v["name"], v["metric"]) for v in listed] == [("Carts", "Added to Cart")]
    assert client.delete(f"/api/v1/event-views/{view['id']}", headers=mine).status_code == 204
    assert client.get("/api/v1/event-views", headers=mine).get_json()["items"] == []
