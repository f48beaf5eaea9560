"""What a merge, its undo and a split mean for the report facts
(docs/reports.md, "Merged tickets"): messages count for the ticket that
holds them, and both tickets are recomputed each time."""

import datetime as dt

import pytest

from app.services import merge, messages
from app.testing.fake import FakeChannelPlugin


@pytest.fixture
def chat(register_plugin):
    return register_plugin(FakeChannelPlugin("chat", per_conversation=True), "chat")


def test_merge_moves_the_first_response_and_undo_moves_it_back(chat, make_agent, clock, cycles, report):
    agent = make_agent(role="support")
    a = chat.receive("Where is my parcel?", email="ana@example.net", conversation="a").ticket  # 09:00
    clock.advance(minutes=10)
    b = chat.receive("Can I change the address?", email="ana@example.net", conversation="b").ticket  # 09:10
    clock.advance(minutes=5)
    messages.reply(b, agent, "Yes, done.")  # 09:15, B's first response
    assert cycles(b)[0].frt_seconds == 300
    assert cycles(a)[0].frt_seconds is None

    clock.advance(minutes=5)
    merge.merge(b.id, a.id, agent)  # 09:20

    (merged,) = cycles(b)
    assert merged.closed_reason == "merged"
    assert merged.closed_at == dt.datetime(2026, 1, 5, 9, 20)
    assert merged.first_response_at is None
    (target,) = cycles(a)
    # A's customer wrote at 09:00; the first agent reply it now holds is at 09:15.
    assert target.frt_seconds == 900
    assert target.responder_key == agent.id
    current = report("summary")["current"]
    assert current["replies"] == 1  # counted once, on the ticket that holds it
    assert current["first_response"]["count"] == 1

    clock.advance(minutes=5)
    merge.unmerge(b.id, agent)
    assert cycles(a)[0].frt_seconds is None
    assert cycles(b)[-1].frt_seconds == 300
    assert report("summary")["current"]["replies"] == 1


def test_split_counts_the_moved_messages_on_the_new_ticket(chat, make_agent, clock, cycles):
    agent = make_agent(role="support")
    a = chat.receive("Where is my parcel?", email="ana@example.net", conversation="a").ticket
    clock.advance(minutes=10)
    second = chat.receive("Another thing: a return", email="ana@example.net", conversation="a").message
    clock.advance(minutes=2)
    messages.reply(a, agent, "Return label attached.")
    new = merge.split(a.id, second.id, agent)
    assert cycles(a)[0].frt_seconds is None
    (cycle,) = cycles(new)
    assert cycle.frt_seconds == 120
