"""The predictive panel in a real browser (Debian's Chromium): on a ticket
of the demo data, every number explains itself on hover and on keyboard
focus; a store without enough history says so."""

import re

import pytest
from playwright.sync_api import expect

from app.models import Agent, Profile, Ticket


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def ticket_of(name):
    profile = Profile.get(Profile.name == name)
    return Ticket.select().where(Ticket.profile == profile.id).order_by(Ticket.id).first()


def test_panel_on_a_demo_ticket_explains_each_number(app, pages):
    from app.demo import seed

    assert "246 customers" in seed(tickets=6)  # fits the models at the end (helpline_on_demo_seeded)
    owner = Agent.get(Agent.email == "owner@example.com")
    ticket = ticket_of("Ana García")
    page = pages.login(owner, start=f"/t/{ticket.id}")
    panel = page.locator("#predictive-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_role("region", name="Customer value and churn")).to_be_visible()
    expect(panel).to_have_attribute("data-state", "scored")
    expect(panel.locator(".predictive-churn_risk .predictive-value")).to_have_text(re.compile(r"^Low \(\d+%\)$"))
    expect(panel.locator(".predictive-orders .predictive-value")).to_have_text("11")

    clv = panel.locator("#predictive-value-predicted_clv")
    expect(clv).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    tip = panel.locator("#predictive-help-predicted_clv")
    expect(tip).to_be_hidden()
    clv.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("next 12 months")
    expect(tip).to_contain_text(re.compile(r"Computed \d{4}-\d\d-\d\d \d\d:\d\d\."))
    expect(clv).to_have_accessible_description(re.compile("expected to be worth today"))

    # Keyboard users get the same explanation on focus.
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    next_order = panel.locator("#predictive-value-next_order")
    next_order.focus()
    expect(panel.locator("#predictive-help-next_order")).to_be_visible()
    expect(panel.locator("#predictive-help-next_order")).to_contain_text("even chances")

    # The customer who never ordered, and the lapsed regular.
    page.goto(f"/t/{ticket_of('Dev Patel').id}")
    expect(page.locator("#predictive-panel")).to_have_attribute("data-state", "no_orders")
    expect(page.locator(".predictive-orders .predictive-value")).to_have_text("No orders yet")
    page.goto(f"/t/{ticket_of('Ben Carter').id}")
    expect(page.locator(".predictive-churn_risk .predictive-value")).to_have_text(re.compile(r"^High \(\d+%\)$"))
    expect(page.locator(".predictive-next_order .predictive-value")).to_have_text("Unlikely")


def test_a_store_without_enough_history_says_so(app, pages, make_agent, fake_channel, orders_for, fit):
    ticket = fake_channel.receive("Is my parcel lost?", email="first@example.net", name="First Buyer").ticket
    orders_for(ticket.profile, (12, 35.0))
    fit()
    page = pages.login(make_agent(role="support", password=None), start=f"/t/{ticket.id}")
    expect(page.locator("#predictive-panel")).to_have_attribute("data-state", "not_eligible")
    expect(page.locator("#predictive-state")).to_have_text(
        re.compile(r"^Not enough order history yet: predictions need at least 50 customers")
    )
    tickets = page.locator("#predictive-value-tickets")
    expect(tickets).to_have_text("1")
    tickets.hover()
    expect(page.locator("#predictive-help-tickets")).to_be_visible()
