"""Importing the order history through the Admin GraphQL API: cursor pages,
Shopify's cost throttling (waited out on the test clock, never slept),
and resuming after an interruption without duplicates."""

import pytest

from app.models import ContactIdentity, Order, Profile
from plugins.shopify import backfill
from plugins.shopify.client import ShopifyError
from plugins.shopify.models import BackfillState


def _set(app, **settings):
    app.extensions["helpline.plugins"].set_settings("shopify", settings)


def test_ten_thousand_orders_over_forty_pages_with_throttling_and_a_resume(app, shop):
    ids = shop.add_orders(10_000, customers=200)
    _set(app, backfill_page_size=250)
    # Page 17 fails with a 503 more often than the client retries: the run stops there.
    shop.fail("BackfillOrders", status=503, after=16, times=3)
    seen = []
    with pytest.raises(ShopifyError) as failed:
        backfill.run(on_page=lambda done, total: seen.append((done, total)))
    assert "503" in failed.value.message
    state = backfill.progress()
    assert state.status == "failed" and state.orders == 16 * 250 and state.resumable
    assert "503" in state.error
    assert Order.select().count() == 16 * 250
    assert seen[0] == (0, 10_000) and seen[-1] == (4_000, 10_000)

    checkpoint = BackfillState.get().cursor
    resumed = backfill.run()
    assert resumed.status == "done" and resumed.orders == 10_000 and resumed.pages == 40
    # The resumed run asked for page 17 from the checkpoint and never re-read a page.
    pages = shop.calls("BackfillOrders")
    assert len(pages) == 40 and pages[16]["after"] == checkpoint
    assert [p["first"] for p in pages] == [250] * 40
    assert len({p["after"] for p in pages}) == 40
    assert Order.select().count() == 10_000
    assert {o.external_id for o in Order.select(Order.external_id)} == {str(i) for i in ids}
    assert Profile.select().count() == 200
    # Shopify's bucket (2000 points, 100/s) cannot pay 40 pages of 752 at once:
    # the client waited for points instead of failing, on the test clock.
    assert shop.sleeps and sum(shop.sleeps) >= (40 * 752 - 2000) / 100


def test_throttled_answers_are_waited_out_and_retried(app, shop):
    shop.add_orders(30, customers=3)
    _set(app, backfill_page_size=10)

    def empty_the_bucket_before_the_first_page(done, total):
        if done == 0:
            shop.drain(0)

    state = backfill.run(on_page=empty_the_bucket_before_the_first_page)
    assert state.status == "done" and Order.select().count() == 30
    pages = [outcome for op, outcome in shop.operations() if op == "BackfillOrders"]
    assert pages == ["throttled", "ok", "ok", "ok"]
    # Waited for the 32 points the page asked for, at 100 points a second.
    assert shop.sleeps == [1.0]


def test_the_client_waits_for_points_before_shopify_has_to_refuse(app, shop):
    shop.maximum_available = 100.0
    shop.drain(100)
    shop.add_orders(50, customers=5)
    _set(app, backfill_page_size=10)
    state = backfill.run()
    assert state.status == "done" and Order.select().count() == 50
    assert all(outcome == "ok" for _op, outcome in shop.operations())
    # 100 points pay the count and three pages of 32; before each later page
    # the client waits the few tenths of a second the missing points take.
    assert shop.sleeps == [0.3, 0.4]


def test_a_page_over_the_query_cost_limit_is_asked_for_smaller(app, shop):
    shop.order_cost = 10
    shop.add_orders(250, customers=5)
    _set(app, backfill_page_size=250)
    state = backfill.run()
    assert state.status == "done" and Order.select().count() == 250
    assert ("BackfillOrders", "max_cost") in shop.operations()
    firsts = [p["first"] for p in shop.calls("BackfillOrders")]
    assert firsts and all(first * 10 + 2 <= 1000 for first in firsts)
    assert BackfillState.get().page_size == firsts[-1]


def test_a_killed_run_is_taken_over_from_its_checkpoint(app, shop, clock):
    shop.add_orders(300, customers=10)
    _set(app, backfill_page_size=50)

    class Killed(BaseException):
        pass

    def die_after_two_pages(done, total):
        if done == 100:
            raise Killed()

    with pytest.raises(Killed):
        backfill.run(on_page=die_after_two_pages)
    assert BackfillState.get().status == "running" and Order.select().count() == 100
    # Its heartbeat is fresh: nobody else may start yet.
    with pytest.raises(backfill.BackfillBusy):
        backfill.run()
    clock.advance(minutes=6)
    assert backfill.progress().status == "interrupted"
    state = backfill.run()
    assert state.status == "done" and state.orders == 300 and Order.select().count() == 300
    afters = [p["after"] for p in shop.calls("BackfillOrders")]
    assert len(afters) == 6 and len(set(afters)) == 6


def test_orders_with_many_lines_are_read_whole(app, shop):
    lines = [(f"Part {n}", 1, "1.00") for n in range(30)]
    big = shop.add_order(shop.add_customer(email="lots@example.net"), lines=lines)
    shop.add_order(shop.add_customer(email="few@example.net"))
    backfill.run()
    assert len(Order.get(Order.external_id == str(big["id"])).lines) == 30
    assert [call["id"] for call in shop.calls("OrderForHelpline")] == [f"gid://shopify/Order/{big['id']}"]


def test_a_finished_import_starts_over_and_changes_nothing(app, shop):
    shop.add_orders(20, customers=2)
    first = backfill.run()
    second = backfill.run()
    assert first.status == second.status == "done" and second.orders == 20
    assert Order.select().count() == 20
    assert [p["after"] for p in shop.calls("BackfillOrders")] == [None, None]


def test_without_a_token_nothing_is_asked(app, fake_shopify):
    with pytest.raises(ShopifyError) as failed:
        backfill.run()
    assert "not configured" in failed.value.message
    assert fake_shopify.requests == []


def test_an_order_the_core_refuses_is_skipped_not_a_stall(app, shop):
    shop.add_orders(4, customers=2)
    shop.add_order(customer=None)  # a walk-in sale: nobody to attach it to
    shop.add_orders(4, customers=2)
    state = backfill.run()
    assert state.status == "done" and state.orders == 9
    assert Order.select().count() == 8


def test_ctrl_c_frees_the_import_for_a_resume_at_once(app, shop):
    shop.add_orders(100, customers=4)
    _set(app, backfill_page_size=25)

    def press_ctrl_c(done, total):
        if done == 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill.run(on_page=press_ctrl_c)
    state = backfill.progress()
    assert state.status == "failed" and state.error == "Stopped by hand." and state.resumable
    assert backfill.run().status == "done" and Order.select().count() == 100
    assert len(shop.calls("BackfillOrders")) == 4


def test_imported_orders_join_a_customer_by_email_only_when_shopify_verified_it(app, shop):
    ana = Profile.create(name="Ana", email="ana@example.net")
    bo = Profile.create(name="Bo", email="bo@example.net")
    verified = shop.add_order(shop.add_customer(email="ana@example.net", verified_email=True))
    unverified = shop.add_order(shop.add_customer(email="bo@example.net", verified_email=False))
    assert backfill.run().status == "done"
    assert Order.get(Order.external_id == str(verified["id"])).profile_id == ana.id
    stranger = Order.get(Order.external_id == str(unverified["id"])).profile_id
    assert stranger != bo.id and bo.orders.count() == 0
    assert not ContactIdentity.get((ContactIdentity.profile == stranger) & (ContactIdentity.source == "email")).verified
