"""Merging two tickets of the same customer through the API, and undoing it:
the thread combined in time order, the merged ticket closed with a link to
the other, reversible within the window, refused across customers."""

import datetime as dt

import pytest

from app.models import Activity, Ticket
from app.services import messages as message_service
from app.services import tickets as ticket_service
from app.testing.fake import FakeChannelPlugin


@pytest.fixture
def chat(register_plugin):
    """A channel with one ticket per conversation, so one customer can have two open tickets."""
    return register_plugin(FakeChannelPlugin("chat", per_conversation=True), "chat")


def two_tickets(chat, clock, email="ana@example.net"):
    """Ticket A (messages at 0 and 20 min) and B (at 10 min), same customer."""
    a = chat.receive("A: where is my order?", email=email, conversation="a").ticket
    clock.advance(minutes=10)
    b = chat.receive("B: and can I change the address?", email=email, conversation="b").ticket
    clock.advance(minutes=10)
    chat.receive("A: any news?", email=email, conversation="a")
    return a, b


def thread_texts(client, headers, ticket_id):
    body = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers).get_json()
    return [m["text"] for m in body["items"]]


def test_merge_combines_threads_in_time_order_and_closes_the_other(client, support, chat, clock):
    agent, headers = support
    a, b = two_tickets(chat, clock)
    clock.advance(minutes=1)

    response = client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ticket"]["status"] == "closed"
    assert body["ticket"]["closed_reason"] == "merged"
    assert body["ticket"]["merged_into_id"] == a.id
    assert body["into"]["id"] == a.id
    assert body["unmerge_until"] == "2026-01-06T09:21:00+00:00"
    assert thread_texts(client, headers, a.id) == [
        "A: where is my order?",
        "B: and can I change the address?",
        "A: any news?",
    ]
    assert thread_texts(client, headers, b.id) == []
    detail = client.get(f"/api/v1/tickets/{b.id}", headers=headers).get_json()
    assert detail["merged_into_id"] == a.id
    actions = client.get(f"/api/v1/tickets/{b.id}/activities", headers=headers).get_json()["items"]
    assert actions[0]["action"] == "merged" and actions[0]["data"]["into"] == a.id
    assert actions[0]["actor"]["id"] == agent.id
    into_actions = client.get(f"/api/v1/tickets/{a.id}/activities", headers=headers).get_json()["items"]
    assert into_actions[0]["action"] == "merged_in" and into_actions[0]["data"]["from"] == b.id


def test_thread_pages_stay_in_time_order_after_a_merge(client, support, chat, clock):
    _, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    first = client.get(f"/api/v1/tickets/{a.id}/messages?limit=2", headers=headers).get_json()
    assert [m["text"] for m in first["items"]] == ["B: and can I change the address?", "A: any news?"]
    older = client.get(f"/api/v1/tickets/{a.id}/messages?limit=2&before={first['before']}", headers=headers)
    assert [m["text"] for m in older.get_json()["items"]] == ["A: where is my order?"]


def test_merged_ticket_list_preview_follows_the_messages(client, support, chat, clock):
    _, headers = support
    a, b = two_tickets(chat, clock)
    # B's message is older than A's latest: A's preview stays its own latest.
    client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": b.id}, headers=headers)
    target = Ticket.get_by_id(b.id)
    assert target.last_message_preview == "A: any news?"
    assert Ticket.get_by_id(a.id).last_message_preview == ""


def test_a_chat_tickets_preview_stays_on_the_customers_words_through_merge_and_unmerge(client, support, chat, clock):
    # Like web chat (preview_from_customer): a reply does not replace the
    # list's preview, and a merge or an unmerge must not either.
    chat.channel_class.preview_from_customer = True
    agent, headers = support
    a, b = two_tickets(chat, clock)
    clock.advance(minutes=1)
    message_service.reply(Ticket.get_by_id(a.id), agent, "We are on it.")

    def previews():
        listed = client.get("/api/v1/tickets?view=all", headers=headers).get_json()["items"]
        return {t["id"]: t["last_message_preview"] for t in listed}

    assert previews()[a.id] == "A: any news?"
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    assert previews()[a.id] == "A: any news?"
    client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)
    assert previews() == {a.id: "A: any news?", b.id: "B: and can I change the address?"}


def test_unmerge_puts_both_tickets_back(client, support, chat, clock):
    agent, headers = support
    a, b = two_tickets(chat, clock)
    ticket_service.snooze(b, until=clock.now() + dt.timedelta(days=2), actor=agent)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    clock.advance(hours=1)
    # A reply written on the combined ticket after the merge stays there.
    message_service.add_note(Ticket.get_by_id(a.id), agent, "Checked both questions")

    response = client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ticket"]["status"] == "snoozed"
    assert body["ticket"]["closed_reason"] is None
    assert body["ticket"]["merged_into_id"] is None
    assert body["ticket"]["reopen_count"] == 0
    assert thread_texts(client, headers, b.id) == ["B: and can I change the address?"]
    assert thread_texts(client, headers, a.id) == ["A: where is my order?", "A: any news?", "Checked both questions"]
    assert Activity.get((Activity.ticket == b.id) & (Activity.action == "unmerged")).actor_id == agent.id
    again = client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_merged"


def test_unmerge_after_the_window_is_refused(client, support, chat, clock):
    _, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    clock.advance(hours=24, minutes=1)
    response = client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_undoable"
    assert Ticket.get_by_id(b.id).closed_reason == "merged"


def test_unmerge_is_refused_once_the_merged_ticket_was_reopened(client, support, chat, clock):
    agent, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    clock.advance(minutes=5)
    ticket_service.reopen(Ticket.get_by_id(b.id), actor=agent)
    response = client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)
    assert response.status_code == 409
    assert thread_texts(client, headers, a.id)[1] == "B: and can I change the address?"


def test_merge_refusals(client, support, chat, clock):
    _, headers = support
    a, b = two_tickets(chat, clock)
    other = chat.receive("Someone else", email="bo@example.net", conversation="c").ticket

    def merge(source, into):
        return client.post(f"/api/v1/tickets/{source}/merge", json={"into": into}, headers=headers)

    refused = merge(a.id, other.id)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "other_customer"
    assert "into" in refused.get_json()["error"]["fields"]
    assert merge(a.id, a.id).get_json()["error"]["code"] == "same_ticket"
    assert merge(a.id, 999999).get_json()["error"]["code"] == "not_found"
    assert merge(a.id, "x").status_code == 422
    assert client.post(f"/api/v1/tickets/{a.id}/merge", json={}, headers=headers).status_code == 422
    assert merge(b.id, a.id).status_code == 200
    already = merge(b.id, a.id)
    assert already.status_code == 409 and already.get_json()["error"]["code"] == "already_merged"
    into_merged = merge(a.id, b.id)
    assert into_merged.status_code == 409 and into_merged.get_json()["error"]["code"] == "target_merged"
    # Nothing moved on a refusal.
    assert len(thread_texts(client, headers, a.id)) == 3


def test_merge_fires_hooks_after_commit(client, support, chat, clock, hook_recorder):
    _, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    merged = hook_recorder.calls("helpline_on_ticket_merged")
    assert [(c["ticket"].id, c["into"].id) for c in merged] == [(b.id, a.id)]
    changed = hook_recorder.calls("helpline_on_ticket_status_changed")
    assert [(c["ticket"].id, c["new_status"], c["reason"]) for c in changed][-1] == (b.id, "closed", "merged")
    client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers)
    unmerged = hook_recorder.calls("helpline_on_ticket_unmerged")
    assert [(c["ticket"].id, c["into"].id) for c in unmerged] == [(b.id, a.id)]


def test_split_moves_a_message_and_the_later_ones_to_a_new_ticket(client, support, chat, clock, hook_recorder):
    agent, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    items = client.get(f"/api/v1/tickets/{a.id}/messages", headers=headers).get_json()["items"]
    ticket_service.assign(Ticket.get_by_id(a.id), agent)

    response = client.post(f"/api/v1/tickets/{a.id}/split", json={"message_id": items[1]["id"]}, headers=headers)

    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["id"] not in (a.id, b.id)
    assert new["status"] == "open"
    assert new["channel"] == "chat"
    assert new["profile"]["id"] == a.profile_id
    assert new["assignee"]["id"] == agent.id
    assert thread_texts(client, headers, new["id"]) == ["B: and can I change the address?", "A: any news?"]
    assert thread_texts(client, headers, a.id) == ["A: where is my order?"]
    assert Ticket.get_by_id(a.id).last_message_preview == "A: where is my order?"
    assert [c["ticket"].id for c in hook_recorder.calls("helpline_on_ticket_created")][-1] == new["id"]
    split = hook_recorder.calls("helpline_on_ticket_split")
    assert [(c["ticket"].id, c["new_ticket"].id) for c in split] == [(a.id, new["id"])]
    trail = client.get(f"/api/v1/tickets/{a.id}/activities", headers=headers).get_json()["items"]
    assert trail[0]["action"] == "split" and trail[0]["data"]["to"] == new["id"]
    # Undo a split by merging the new ticket back.
    assert client.post(f"/api/v1/tickets/{new['id']}/merge", json={"into": a.id}, headers=headers).status_code == 200
    assert len(thread_texts(client, headers, a.id)) == 3


def test_split_refusals(client, support, chat, clock):
    _, headers = support
    a, b = two_tickets(chat, clock)
    first, second = client.get(f"/api/v1/tickets/{a.id}/messages", headers=headers).get_json()["items"]
    other = client.get(f"/api/v1/tickets/{b.id}/messages", headers=headers).get_json()["items"][0]

    def split(ticket_id, message_id):
        return client.post(f"/api/v1/tickets/{ticket_id}/split", json={"message_id": message_id}, headers=headers)

    at_first = split(a.id, first["id"])
    assert at_first.status_code == 400 and at_first.get_json()["error"]["code"] == "first_message"
    elsewhere = split(a.id, other["id"])
    assert elsewhere.status_code == 400 and elsewhere.get_json()["error"]["fields"]["message_id"]
    assert client.post(f"/api/v1/tickets/{a.id}/split", json={}, headers=headers).status_code == 422
    client.post(f"/api/v1/tickets/{a.id}/merge", json={"into": b.id}, headers=headers)
    merged = split(a.id, second["id"])
    assert merged.status_code == 409 and merged.get_json()["error"]["code"] == "merged"
    assert Ticket.select().count() == 2


def test_a_message_to_a_merged_ticket_continues_in_the_ticket_it_went_into(client, support, chat, clock):
    """The customer writes again in the merged ticket's conversation: the message
    joins the ticket the thread went into, and the merged ticket stays closed
    (it used to reopen, empty, beside the combined thread)."""
    _agent, headers = support
    a, b = two_tickets(chat, clock)
    assert client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers).status_code == 200

    clock.advance(minutes=5)
    landed = chat.receive("B: hello again?", email="ana@example.net", conversation="b").ticket

    assert landed.id == a.id
    assert thread_texts(client, headers, a.id)[-1] == "B: hello again?"
    merged = client.get(f"/api/v1/tickets/{b.id}", headers=headers).get_json()
    assert merged["status"] == "closed" and merged["merged_into_id"] == a.id
    assert thread_texts(client, headers, b.id) == []


def test_after_an_unmerge_the_conversation_is_its_own_ticket_again(client, support, chat, clock):
    _agent, headers = support
    a, b = two_tickets(chat, clock)
    client.post(f"/api/v1/tickets/{b.id}/merge", json={"into": a.id}, headers=headers)
    assert client.post(f"/api/v1/tickets/{b.id}/unmerge", headers=headers).status_code == 200

    landed = chat.receive("B: one more thing", email="ana@example.net", conversation="b").ticket

    assert landed.id == b.id


def test_a_message_to_a_ticket_merged_across_channels_starts_a_new_ticket(client, support, chat, register_plugin):
    _agent, headers = support
    mail = register_plugin(FakeChannelPlugin("mail", per_conversation=True), "mail")
    chat_ticket = chat.receive("on chat", email="ana@example.net", conversation="c").ticket
    mail_ticket = mail.receive("by mail", email="ana@example.net", conversation="m").ticket
    merged = client.post(f"/api/v1/tickets/{chat_ticket.id}/merge", json={"into": mail_ticket.id}, headers=headers)
    assert merged.status_code == 200, merged.get_json()

    landed = chat.receive("back on chat", email="ana@example.net", conversation="c").ticket

    assert landed.id not in (chat_ticket.id, mail_ticket.id)
    assert landed.channel == "chat"
    assert thread_texts(client, headers, landed.id) == ["back on chat"]
