"""Demo data for the quickstart: agents, customers with orders and events,
and tickets through whichever channel plugins are enabled."""

import datetime as dt
import decimal
import random

from .clock import now
from .events import fire
from .models import Agent, Order, Profile, ProfileEvent
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
# regular, a one-time buyer, someone who never ordered, an occasional buyer
# and a new repeat buyer.
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
    from .services.agents import create_agent
    from .services.ingest import ingest

    rng = rng or random.Random(7)
    for email, name, role in AGENTS:
        create_agent(email, name, role, DEMO_PASSWORD)
    profiles = []
    at = now()
    for name, email, phone, order_days in CUSTOMERS:
        profile = Profile.create(
            name=name, email=email, phone=phone, sms_consent=rng.choice(["marketing", "transactional", None])
        )
        typical = rng.uniform(30, 120)
        _add_orders(profile, [(days, typical * rng.uniform(0.7, 1.4)) for days in order_days], at, rng)
        for metric in ("Viewed Product", "Added to Cart", "Placed Order"):
            ProfileEvent.create(
                profile=profile,
                metric=metric,
                properties={"source": "demo"},
                occurred_at=at - dt.timedelta(hours=rng.randint(1, 500)),
            )
        profiles.append(profile)
    shoppers = _shoppers(at, rng)
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


def _add_orders(profile, orders, at, rng, cancelled_share=0.0):
    """``orders``: ``(days ago, value)`` pairs, about ``cancelled_share`` of
    them cancelled."""
    if not orders:
        return
    Order.insert_many(
        [
            {
                "profile": profile.id,
                "external_id": f"#{1000 + profile.id * 100 + n}",
                "total": decimal.Decimal(str(round(value, 2))),
                "currency": "USD",
                "status": "cancelled" if rng.random() < cancelled_share else "fulfilled",
                "items": [],
                "placed_at": at - dt.timedelta(days=days, minutes=rng.randint(0, 600)),
            }
            for n, (days, value) in enumerate(sorted(orders, reverse=True))
        ]
    ).execute()


def _shoppers(at, rng):
    """Customers with simulated order histories: while active they order at
    their own pace (gaps exponential, pace varying across people) and after
    each repeat order they may stop for good; spend varies around each
    person's typical order. Returns how many were added."""
    from .db import write_transaction

    with write_transaction():
        for i in range(SHOPPERS):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            profile = Profile.create(name=f"{first} {last}", email=f"{first}.{last}.{i}@example.org".lower())
            days_ago = rng.uniform(0, SHOPPER_HISTORY_DAYS)
            pace = rng.gammavariate(1.0, 1 / 40)  # orders a day while active
            stop = rng.betavariate(1.2, 4.0)  # chance of stopping after a repeat order
            typical = rng.uniform(25, 140)
            orders = [(days_ago, typical * rng.uniform(0.6, 1.5))]
            while True:
                days_ago -= rng.expovariate(pace)
                if days_ago < 0:
                    break
                orders.append((days_ago, typical * rng.uniform(0.6, 1.5)))
                if rng.random() < stop:
                    break
            _add_orders(profile, orders, at, rng, cancelled_share=1 / 30)
    return SHOPPERS


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
