"""Storing what commerce providers send: idempotent on the provider's ids
(also with ten deliveries at once), stale updates ignored, customers found
through their identities, batches written set-based."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from playhouse.test_utils import count_queries

from app.commerce import CustomerRef, EventData, OrderData, OrderLine
from app.models import ContactIdentity, Order, Profile, ProfileEvent
from app.services import ServiceError, identities
from app.services.commerce import upsert_event, upsert_events, upsert_order, upsert_orders


def order(external_id="1001", email="ana@example.net", quantity=2, updated_at=None, customer_id=None, **kw):
    return OrderData(
        external_id=external_id,
        customer=CustomerRef(external_id=customer_id, email=email, name="Ana García"),
        lines=[OrderLine("l1", "Blue mug", quantity, Decimal("12.50"), Decimal("12.50") * quantity, sku="MUG-B")],
        total=Decimal("12.50") * quantity,
        currency="eur",
        status="open",
        placed_at=dt.datetime(2025, 11, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        name=f"#{external_id}",
        updated_at=updated_at,
        **kw,
    )


def event(external_id="e1", metric="Viewed Product", email="ana@example.net", **properties):
    return EventData(external_id, metric, dt.datetime(2025, 11, 1, 8, 0), CustomerRef(email=email), properties)


def test_an_order_is_stored_with_its_lines_and_customer(app):
    stored = upsert_order("woo", order())
    assert stored.outcome == "created"
    row = Order.get_by_id(stored.id)
    assert row.source == "woo" and row.name == "#1001" and row.currency == "EUR"
    assert row.total == Decimal("25.00")
    assert row.placed_at == dt.datetime(2025, 11, 3, 8, 0), "stored as naive UTC"
    assert row.lines == [
        {
            "external_id": "l1",
            "title": "Blue mug",
            "sku": "MUG-B",
            "variant": None,
            "quantity": 2,
            "unit_price": "12.50",
            "total": "25.00",
        }
    ]
    assert row.profile.email == "ana@example.net" and row.profile.name == "Ana García"


def test_redelivery_updates_in_place(app, clock):
    first = upsert_order("woo", order(updated_at=clock.now()))
    clock.advance(minutes=1)
    again = upsert_order("woo", order(quantity=1, updated_at=clock.now(), fulfillment_status="fulfilled"))
    assert again.id == first.id and again.outcome == "updated"
    assert Order.select().count() == 1
    row = Order.get_by_id(first.id)
    assert row.lines[0]["quantity"] == 1 and row.total == Decimal("12.50") and row.fulfillment_status == "fulfilled"


def test_an_older_update_never_overwrites_a_newer_one(app, clock):
    newer = clock.now()
    upsert_order("woo", order(quantity=3, updated_at=newer))
    stale = upsert_order("woo", order(quantity=1, updated_at=newer - dt.timedelta(seconds=1)))
    assert stale.outcome == "stale"
    assert Order.get().lines[0]["quantity"] == 3


def test_the_same_external_id_of_two_sources_is_two_orders(app):
    upsert_order("woo", order())
    upsert_order("shopify", order())
    assert Order.select().count() == 2
    assert Profile.select().count() == 1, "same verified email, same customer"


def test_ten_concurrent_deliveries_of_one_order_store_one(app, clock, in_threads):
    outcomes = []

    def deliver(_):
        outcomes.append(upsert_order("shopify", order(customer_id="c-77", updated_at=clock.now())).outcome)

    assert in_threads(deliver, n=10) == []
    assert sorted(outcomes) == ["created"] + ["updated"] * 9
    assert Order.select().count() == 1 and Profile.select().count() == 1
    assert identities.find_profile("shopify", "c-77").id == Order.get().profile_id


def test_concurrent_batches_of_events_store_each_once(app, in_threads):
    batch = [event(f"e{n}", email=f"buyer{n % 3}@example.net") for n in range(30)]
    assert in_threads(lambda _: upsert_events("woo", batch), n=8) == []
    assert ProfileEvent.select().count() == 30 and Profile.select().count() == 3


def test_customers_are_found_by_provider_id_first(app, make_agent):
    known = Profile.create(name="Ana", email="ana@example.net")
    other = Profile.create(name="Ana (old account)", email="ana.old@example.net")
    identities.link(other, "shopify", "c-1")
    stored = upsert_order("shopify", order(customer_id="c-1", email="ana@example.net"))
    assert stored.profile_id == other.id, "the provider's customer id wins over the email"
    stored = upsert_order("shopify", order("1002", customer_id="c-2", email="ana@example.net"))
    assert stored.profile_id == known.id, "a verified email finds the customer"
    assert identities.find_profile("shopify", "c-2").id == known.id, "and links the provider's id to them"


def test_an_unverified_email_never_attaches_orders_to_its_owner(app):
    ana = Profile.create(name="Ana", email="ana@example.net")
    typed = CustomerRef(external_id="c-5", email="ana@example.net", name="Not Ana", verified=False)
    first = upsert_order("shop", dataclasses.replace(order("2001"), customer=typed))
    assert first.profile_id != ana.id and Profile.get_by_id(first.profile_id).email is None
    claim = ContactIdentity.get((ContactIdentity.profile == first.profile_id) & (ContactIdentity.source == "email"))
    assert claim.external_id == "ana@example.net" and not claim.verified
    # The same customer's next order follows the provider's id; Ana still has none.
    again = upsert_order("shop", dataclasses.replace(order("2002"), customer=typed))
    assert again.profile_id == first.profile_id and ana.orders.count() == 0
    event = upsert_event("shop", EventData("e-9", "Viewed Product", dt.datetime(2025, 11, 1), typed))
    assert event.profile_id == first.profile_id


def test_a_new_customer_gets_a_profile_and_an_identity(app):
    stored = upsert_order("shopify", order(customer_id="c-9", email="new@example.net"))
    assert stored.profile.email == "new@example.net"
    assert ContactIdentity.get(ContactIdentity.source == "shopify").profile_id == stored.profile_id


def test_events_are_stored_once(app):
    first = upsert_event("woo", event(color="blue"))
    again = upsert_event("woo", event(color="red"))
    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert again.id == first.id and ProfileEvent.get().properties == {"color": "blue"}


def test_a_batch_repeating_an_id_keeps_the_last(app):
    results = upsert_orders("woo", [order(quantity=1), order(quantity=4)])
    assert len(results) == 1 and Order.get().lines[0]["quantity"] == 4


def test_a_batch_is_set_based(app):
    # 100 orders of 5 known customers: the number of queries does not grow
    # with the orders (one lookup, one insert, one read back per chunk).
    for n in range(5):
        identities.resolve("woo", f"c{n}", email=f"b{n}@example.net")
    items = [order(f"o{n}", customer_id=f"c{n % 5}", email=f"b{n % 5}@example.net") for n in range(100)]
    with count_queries() as counter:
        results = upsert_orders("woo", items)
    assert len(results) == 100 and {r.outcome for r in results} == {"created"}
    assert counter.count <= 8, counter.count


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (order(external_id=""), "external_id"),
        (order(email=None), "customer"),
        (OrderData("x", CustomerRef(email="a@example.net"), [], Decimal("1e12"), "EUR", "open", None), "total"),
        (OrderData("x", CustomerRef(email="a@example.net"), [], 1, "EURO", "open", None), "currency"),
        (OrderData("x\x00", CustomerRef(email="a@example.net"), [], 1, "EUR", "open", None), "external_id"),
    ],
)
def test_bad_provider_data_is_refused_with_the_field(app, data, field):
    with pytest.raises(ServiceError) as refused:
        upsert_order("woo", data)
    assert refused.value.field == field
    assert Order.select().count() == 0


def test_a_bad_source_name_is_refused(app):
    with pytest.raises(ServiceError) as refused:
        upsert_order("Woo Commerce", order())
    assert refused.value.field == "source"


def test_an_order_posted_for_a_profile_stays_with_it(app):
    ana = Profile.create(name="Ana", email="ana@example.net")
    ben = Profile.create(name="Ben", email="ben@example.net")
    stored = upsert_order("woo", order(email="someone.else@example.net"), profile=ana)
    assert stored.profile_id == ana.id
    with pytest.raises(ServiceError) as refused:
        upsert_order("woo", order(), profile=ben)
    assert refused.value.code == "other_customer"
