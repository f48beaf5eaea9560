"""Merging tickets from the ticket page in a real browser: the searchable
picker, the confirmation, the combined thread, the "Merged into #N" banner
and Undo merge."""

import pytest
from playwright.sync_api import expect

from app.models import Ticket
from app.testing.accessibility import EVERY_IMPACT
from app.testing.fake import FakeChannelPlugin


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def chat(register_plugin):
    return register_plugin(FakeChannelPlugin("chat", per_conversation=True), "chat")


def test_merge_and_undo_from_the_ticket_page(pages, make_agent, chat, clock, assert_accessible, screenshot):
    agent = make_agent(role="support", name="Sam Support", password=None)
    first = chat.receive("Where is my order?", email="ana@example.net", name="Ana", conversation="a").ticket
    clock.advance(minutes=10)
    second = chat.receive("Can I change the address?", email="ana@example.net", name="Ana", conversation="b").ticket
    clock.advance(minutes=10)
    chat.receive("Any news?", email="ana@example.net", conversation="a")
    chat.receive("Someone else's question", email="bo@example.net", conversation="c")

    page = pages.login(agent)
    page.goto(f"/t/{second.id}")
    # The picker suggests this customer's other ticket only; arrows and
    # Enter choose it.
    picker = page.get_by_role("combobox", name="Merge this ticket into")
    picker.focus()
    options = page.get_by_role("listbox", name="Tickets of this customer").get_by_role("option")
    expect(options).to_have_count(1)
    # Untitled tickets are named by their latest message.
    expect(options.first).to_contain_text(f"#{first.id} Any news?")
    expect(picker).to_have_attribute("aria-expanded", "true")
    picker.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    screenshot(page, "ticket-merge")
    picker.press("Enter")
    expect(picker).to_have_value(f"#{first.id} Any news?")
    expect(picker).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Merge…").click()

    expect(page.get_by_role("heading", name=f"Merge ticket #{second.id} into #{first.id}?")).to_be_visible()
    assert_accessible(page, EVERY_IMPACT)
    page.get_by_role("button", name="Merge tickets").click()

    page.wait_for_url(f"**/t/{first.id}")
    expect(page.get_by_text(f"Ticket #{second.id} merged into #{first.id}.")).to_be_visible()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("Where is my order?")
    texts = thread.inner_text()
    assert texts.index("Where is my order?") < texts.index("Can I change the address?") < texts.index("Any news?")

    page.goto(f"/t/{second.id}")
    banner = page.locator("#merged-banner")
    expect(banner).to_contain_text(f"Merged into #{first.id}")
    expect(page.locator("#ticket-status")).to_have_text("Closed")
    expect(page.locator("#merge")).to_have_count(0)
    assert_accessible(page, EVERY_IMPACT)
    screenshot(page, "ticket-merged")
    banner.get_by_role("link").click()
    page.wait_for_url(f"**/t/{first.id}")

    page.goto(f"/t/{second.id}")
    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_text("Merge undone: the messages are back on this ticket.")).to_be_visible()
    expect(page.locator("#merged-banner")).to_have_count(0)
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(page.locator("#thread")).to_contain_text("Can I change the address?")
    assert Ticket.get_by_id(second.id).status == "open"
    page.goto(f"/t/{first.id}")
    expect(page.locator("#thread")).not_to_contain_text("Can I change the address?")


def test_merge_into_another_customers_ticket_is_refused(pages, make_agent, chat):
    agent = make_agent(role="support", password=None)
    mine = chat.receive("Hello", email="ana@example.net", conversation="a").ticket
    theirs = chat.receive("Hi", email="bo@example.net", conversation="b").ticket
    chat.receive("Again", email="ana@example.net", conversation="c")
    page = pages.login(agent)
    page.goto(f"/t/{mine.id}")
    page.get_by_label("Merge this ticket into").fill(str(theirs.id))
    page.get_by_role("button", name="Merge…").click()
    expect(page.get_by_text("Only tickets of the same customer can be merged.")).to_be_visible()
    page.wait_for_url(f"**/t/{mine.id}")
    assert Ticket.get_by_id(mine.id).status == "open"


def test_split_from_a_message(pages, make_agent, chat, clock, assert_accessible):
    agent = make_agent(role="support", password=None)
    ticket = chat.receive("My parcel is late", email="ana@example.net", conversation="a").ticket
    clock.advance(minutes=5)
    chat.receive("Also: I want to return a jumper", email="ana@example.net", conversation="a")
    clock.advance(minutes=5)
    chat.receive("It is the blue one", email="ana@example.net", conversation="a")

    page = pages.login(agent)
    page.goto(f"/t/{ticket.id}")
    # Not offered on the first message: the ticket would be left empty.
    expect(page.get_by_role("button", name="Split from here")).to_have_count(2)
    page.locator("#thread li").nth(1).get_by_role("button", name="Split from here").click()

    expect(page.get_by_role("heading", name=f"Split ticket #{ticket.id}?")).to_be_visible()
    expect(page.get_by_text("This message and 1 later message move")).to_be_visible()
    assert_accessible(page, EVERY_IMPACT)
    page.get_by_role("button", name="Split ticket").click()

    expect(page.get_by_text(f"Split from #{ticket.id} into this new ticket.")).to_be_visible()
    new = Ticket.select().order_by(Ticket.id.desc()).first()
    assert new.id != ticket.id
    page.wait_for_url(f"**/t/{new.id}")
    expect(page.locator("#thread li")).to_have_count(2)
    expect(page.locator("#thread")).to_contain_text("I want to return a jumper")
    page.goto(f"/t/{ticket.id}")
    expect(page.locator("#thread li")).to_have_count(1)
    expect(page.locator("#thread")).to_contain_text("My parcel is late")


def test_the_picker_searches_all_of_the_customers_tickets(pages, make_agent, chat, clock, assert_accessible):
    agent = make_agent(role="support", password=None)
    tickets = []
    for i in range(24):
        clock.advance(minutes=1)
        tickets.append(chat.receive(f"Parcel question {i}", email="ana@example.net", conversation=f"c{i}").ticket)
    clock.advance(minutes=1)
    teapot = chat.receive("Return my teapot", email="ana@example.net", conversation="tea").ticket
    current = tickets[0]
    chat.receive("A teapot too", email="bo@example.net", conversation="bo")  # another customer's

    page = pages.login(agent, start=f"/t/{current.id}")
    picker = page.get_by_role("combobox", name="Merge this ticket into")
    picker.focus()
    options = page.locator("#merge-options [role=option]")
    expect(options).to_have_count(20)  # a page; the rest one click away
    page.get_by_role("button", name="Show more tickets").click()
    expect(options).to_have_count(24)
    expect(page.get_by_role("button", name="Show more tickets")).to_be_hidden()
    assert_accessible(page, EVERY_IMPACT)

    picker.fill("teapot")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(f"#{teapot.id} Return my teapot")
    options.first.click()
    expect(picker).to_have_value(f"#{teapot.id} Return my teapot")

    picker.fill("zebra")
    expect(page.locator("#merge-status")).to_have_text(
        "No ticket of this customer matches. Try a ticket number or other words."
    )
    expect(page.locator("#merge-options")).to_be_hidden()
