"""Demo data gives the commerce panel something to show: months of orders
(repeat and one-time buyers, a few cancelled) and shop events."""

import datetime as dt

from app.demo import seed
from app.models import Order, Profile, ProfileEvent
from app.services.customer_history import summary


def test_demo_customers_have_a_purchase_history(app, clock):
    seed(tickets=0)
    counts = {p.name: summary(p)["orders_count"] for p in Profile.select()}
    assert counts["Ana García"] >= 5, "a repeat buyer"
    assert counts["Chloé Martin"] == 1, "a one-time buyer"
    assert counts["Dev Patel"] == 0
    orders = Order.select()
    assert {o.source for o in orders} == {"demo"}
    assert Order.select().where(Order.status == "cancelled").exists()
    assert Order.select().where(Order.status == "open").exists()
    oldest = Order.select().order_by(Order.placed_at).first().placed_at
    assert clock.now() - oldest > dt.timedelta(days=90), "months of history"
    metrics = {e.metric for e in ProfileEvent.select()}
    assert {"Viewed Product", "Added to Cart", "Placed Order"} <= metrics
    dev = Profile.get(Profile.name == "Dev Patel")
    assert summary(dev)["events_count"] > 0, "browsing without buying"
