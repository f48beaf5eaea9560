"""Demo data for the quickstart: agents, customers with orders and events,
and tickets through whichever channel plugins are enabled."""

import datetime as dt
import decimal
import random

from .clock import now
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
CUSTOMERS = [
    ("Ana García", "ana@example.net", "+34612345678"),
    ("Ben Carter", "ben@example.net", "+14155550101"),
    ("Chloé Martin", "chloe@example.net", "+33612345678"),
    ("Dev Patel", "dev@example.net", "+447700900123"),
    ("Emma Johansson", "emma@example.net", "+46701234567"),
    ("Felix Wagner", "felix@example.net", "+4915112345678"),
]
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
    for name, email, phone in CUSTOMERS:
        profile = Profile.create(
            name=name, email=email, phone=phone, sms_consent=rng.choice(["marketing", "transactional", None])
        )
        for n in range(rng.randint(1, 5)):
            Order.create(
                profile=profile,
                external_id=f"#{1000 + profile.id * 10 + n}",
                total=decimal.Decimal(rng.randint(1500, 25000)) / 100,
                status="fulfilled",
                placed_at=at - dt.timedelta(days=rng.randint(3, 300)),
            )
        for metric in ("Viewed Product", "Added to Cart", "Placed Order"):
            ProfileEvent.create(
                profile=profile,
                metric=metric,
                properties={"source": "demo"},
                occurred_at=at - dt.timedelta(hours=rng.randint(1, 500)),
            )
        profiles.append(profile)
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
    return (
        f"Demo data: {len(AGENTS)} agents (password {DEMO_PASSWORD!r}, e.g. owner@example.com), "
        f"{len(profiles)} customers, {made} tickets."
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
