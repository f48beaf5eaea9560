"""Demo data for the quickstart: agents, customers with orders and events,
and tickets through whichever channel plugins are enabled."""

import datetime as dt
import random
from decimal import Decimal

from .clock import now
from .commerce import CustomerRef, EventData, OrderData, OrderLine
from .events import fire
from .models import Agent, Profile
from .plugins import get_plugins
from .registry import Inbound, Sender

DEMO_PASSWORD = "helpline-demo"
AGENTS = [
    ("owner@example.com", "Olivia Owner", "owner"),
    ("admin@example.com", "Adam Admin", "admin"),
    ("manager@example.com", "Maya Manager", "manager"),
    ("support@example.com", "Sam Support", "support"),
    ("support2@example.com", "Sofia Support", "support"),
]
# The customers who write in, each with an order story (days ago of each
# order) that the customer panels can tell apart: a loyal regular, a lapsed
# regular, a one-time buyer, someone who never ordered (only browses), an
# occasional buyer and a new repeat buyer.
CUSTOMERS = [
    ("Ana García", "ana@example.net", "+34612345678", [340, 305, 270, 236, 199, 166, 131, 97, 66, 38, 12]),
    ("Ben Carter", "ben@example.net", "+14155550101", [430, 401, 377, 341, 318, 290, 262]),
    ("Chloé Martin", "chloe@example.net", "+33612345678", [41]),
    ("Dev Patel", "dev@example.net", "+447700900123", []),
    ("Emma Johansson", "emma@example.net", "+46701234567", [205, 122, 58]),
    ("Felix Wagner", "felix@example.net", "+4915112345678", [31, 9]),
]
# Shoppers who never wrote in: enough order history (repeat and one-time
# buyers over about 18 months) for the predictive panel to be eligible.
SHOPPERS = 240
SHOPPER_HISTORY_DAYS = 540
FIRST_NAMES = ["Alex", "Bea", "Carlos", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena"]
LAST_NAMES = ["Adams", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Gomez", "Hill", "Ito", "Jensen", "Khan"]
PRODUCTS = [
    ("Wool blanket", "WB-GRY", "Grey", "89.00"),
    ("Linen sheet set", "LS-WHT", "Double", "120.00"),
    ("Blue mug", "MUG-BLU", None, "14.50"),
    ("Espresso cups (set of 4)", "ESP-4", None, "32.00"),
    ("Scented candle", "CND-FIG", "Fig", "24.00"),
    ("Cotton throw pillow", "PIL-OCH", "Ochre", "39.00"),
    ("Ceramic vase", "VAS-S", "Small", "45.00"),
    ("Gift card", "GIFT-50", "50", "50.00"),
]
DEMO_SOURCE = "demo"
CURRENCY = "USD"
QUESTIONS = [
    ("Where is my order?", "Hi, I ordered last week and tracking has not moved since Monday. Can you check?"),
    ("Wrong size", "The jacket I received is an M but I ordered an L. How do I exchange it?"),
    ("Refund status", "I returned the shoes ten days ago; when will the refund arrive?"),
    ("Discount code not working", "The code WELCOME10 says it has expired, but the email came yesterday."),
    ("Change delivery address", "Can I still change the delivery address for order #1043?"),
    ("Product question", "Is the wool blanket machine washable?"),
]


def seed(tickets=40, rng=None):
    """Fill an empty database; returns a line saying what happened."""
    if Agent.select().exists():
        return "Demo data: the database already has agents; nothing added."
    from .services import identities
    from .services.agents import create_agent
    from .services.ingest import ingest

    rng = rng or random.Random(7)
    for email, name, role in AGENTS:
        create_agent(email, name, role, DEMO_PASSWORD)
    profiles = []
    for name, email, phone, _orders in CUSTOMERS:
        profile = Profile.create(
            name=name, email=email, phone=phone, sms_consent=rng.choice(["marketing", "transactional", None])
        )
        # Their addresses are verified identities, as ingest would have made
        # them (GET /profiles/{id} lists them; docs/api.md).
        identities.link(profile, identities.EMAIL, email)
        identities.link(profile, identities.PHONE, phone)
        profiles.append(profile)
    shoppers = _commerce_history(rng)
    plugins = get_plugins()
    channels = [slug for slug in ("email", "sms", "webchat") if plugins.channel(slug) is not None]
    made, results = 0, []
    for i in range(tickets if channels else 0):
        profile = profiles[i % len(profiles)]
        slug = channels[i % len(channels)]
        subject, text = QUESTIONS[i % len(QUESTIONS)]
        sender = Sender(
            name=profile.name,
            email=profile.email if slug != "sms" else None,
            phone=profile.phone if slug == "sms" else None,
        )
        # What each channel's thread_key reads: a thread root, the number, a conversation.
        meta = {
            "email": {"thread_root": f"<demo-{i}@example.net>"},
            "sms": {},
            "webchat": {"conversation": f"demo-chat-{i}"},
        }
        results.append(
            ingest(
                Inbound(
                    channel=slug,
                    external_id=f"demo-{slug}-{i}",
                    sender=sender,
                    text=text,
                    subject=subject if slug == "email" else "",
                    meta=meta[slug],
                )
            )
        )
        made += 1
    _lived_in(results, rng)
    fire("helpline_on_demo_seeded")
    return (
        f"Demo data: {len(AGENTS)} agents (password {DEMO_PASSWORD!r}, e.g. owner@example.com), "
        f"{len(profiles) + shoppers} customers, {made} tickets."
    )


def _commerce_history(rng):
    """Order and shop-event history, stored through the same upsert service
    as a shop's webhooks: the demo customers' order stories (with browsing
    around them) and simulated shoppers, enough for the predictive panel to
    be eligible. Returns how many shoppers were added."""
    from .services.commerce import upsert_events, upsert_orders

    at = now()
    plans = []  # (placed, customer, browse only)
    for name, email, _phone, order_days in CUSTOMERS:
        customer = CustomerRef(email=email, name=name)
        plans += [(at - dt.timedelta(days=d, hours=rng.randint(0, 12)), customer, False) for d in order_days]
        # Browsing without buying: the events panel shows more than purchases.
        plans += [(at - dt.timedelta(days=rng.randint(1, 60), hours=3), customer, True) for _ in range(2)]
    for i in range(SHOPPERS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        customer = CustomerRef(email=f"{first}.{last}.{i}@example.org".lower(), name=f"{first} {last}")
        plans += [(at - dt.timedelta(days=d), customer, False) for d in _shopper_story(rng)]
    plans.sort(key=lambda plan: plan[0])
    orders, events, number = [], [], 1000
    for placed, customer, browse_only in plans:
        picks = rng.sample(PRODUCTS, rng.randint(1, 3))
        if customer.email.endswith("@example.net"):  # shop events for the customers who write in
            for title, _sku, _variant, _price in picks:
                events.append(
                    _event(rng, "Viewed Product", placed - dt.timedelta(minutes=rng.randint(20, 90)), customer, title)
                )
        if browse_only:
            continue
        number += 1
        if customer.email.endswith("@example.net"):
            events.append(_event(rng, "Added to Cart", placed - dt.timedelta(minutes=15), customer, picks[0][0]))
            events.append(_event(rng, "Placed Order", placed, customer, f"#{number}"))
        orders.append(_order(rng, number, placed, customer, picks, at))
    upsert_orders(DEMO_SOURCE, orders)
    upsert_events(DEMO_SOURCE, events)
    return SHOPPERS


def _shopper_story(rng):
    """Days ago of one simulated shopper's orders: while active they order at
    their own pace (gaps exponential, pace varying across people) and after
    each repeat order they may stop for good."""
    days_ago = rng.uniform(0, SHOPPER_HISTORY_DAYS)
    pace = rng.gammavariate(1.0, 1 / 40)  # orders a day while active
    stop = rng.betavariate(1.2, 4.0)  # chance of stopping after a repeat order
    days = [days_ago]
    while True:
        days_ago -= rng.expovariate(pace)
        if days_ago < 0 or rng.random() < stop:
            return days
        days.append(days_ago)


def _order(rng, number, placed, customer, picks, at):
    lines = []
    for n, (title, sku, variant, price) in enumerate(picks, 1):
        quantity = rng.choice([1, 1, 1, 2, 3])
        lines.append(
            OrderLine(f"demo-{number}-{n}", title, quantity, Decimal(price), Decimal(price) * quantity, sku, variant)
        )
    total = sum((line.total for line in lines), Decimal(0))
    recent = at - placed < dt.timedelta(days=3)
    cancelled = not recent and rng.random() < 1 / 30
    return OrderData(
        external_id=f"demo-order-{number}",
        customer=customer,
        lines=lines,
        total=total,
        currency=CURRENCY,
        status="cancelled" if cancelled else ("open" if recent else "closed"),
        placed_at=placed,
        name=f"#{number}",
        subtotal=total,
        financial_status="refunded" if cancelled else "paid",
        fulfillment_status=None if recent or cancelled else "fulfilled",
        cancelled_at=placed + dt.timedelta(hours=5) if cancelled else None,
        updated_at=placed + dt.timedelta(hours=5 if cancelled else 30),
    )


def _event(rng, metric, when, customer, subject):
    key = "order" if metric == "Placed Order" else "product"
    return EventData(
        external_id=f"demo-event-{rng.getrandbits(48):012x}",
        metric=metric,
        occurred_at=when,
        customer=customer,
        properties={key: subject},
    )


def _lived_in(results, rng):
    """Make the demo inbox look used: tickets spread over the last days, some
    assigned (the owner's My inbox included), a few closed, a few notes."""
    from .models import Message, Ticket
    from .services.messages import add_note
    from .services.tickets import assign, change_tags, close

    agents = list(Agent.select().order_by(Agent.id))
    tickets = list({r.ticket.id: r.ticket for r in results}.values())
    at = now()
    for n, ticket in enumerate(tickets):
        if n % 3 == 0:
            assign(ticket, agents[(n // 3) % len(agents)])
        if n % 4 == 1:
            change_tags(ticket, add=[rng.choice(["vip", "refund", "shipping", "exchange"])])
        if n % 5 == 2:
            add_note(ticket, agents[0], "Checked the order in the shop admin: it shipped on Monday.")
        if n % 6 == 5:
            close(ticket, actor=agents[0])
    # Oldest first, about an hour apart, so lists and reports have a past.
    for age, ticket in enumerate(reversed(tickets)):
        when = at - dt.timedelta(minutes=53 * (age + 1))
        Ticket.update(created_at=when, updated_at=when, last_customer_message_at=when).where(
            Ticket.id == ticket.id
        ).execute()
        Message.update(created_at=when).where(Message.ticket == ticket.id).execute()
