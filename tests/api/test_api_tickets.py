"""Tickets through the API: lists with keyset pages, detail, changes,
messages, replies refused by the channel, bulk actions."""

import datetime as dt

from playhouse.test_utils import assert_query_count

from app.models import Message, Ticket
from app.services import tickets as ticket_service
from app.services.views import create_view


def make_tickets(fake_channel, clock, n, prefix="c"):
    made = []
    for i in range(n):
        clock.advance(minutes=1)
        made.append(fake_channel.receive(f"Question {i}", email=f"{prefix}{i}@example.net").ticket)
    return made


def test_keyset_pagination_walks_every_ticket_once_in_order(client, support, fake_channel, clock):
    agent, headers = support
    tickets = make_tickets(fake_channel, clock, 7)
    # Two tickets share one updated_at: the id breaks the tie across pages.
    Ticket.update(updated_at=tickets[3].updated_at).where(Ticket.id == tickets[4].id).execute()
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/tickets?view=all&limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        pages += 1
        seen += [(t["updated_at"], t["id"]) for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted({i for _, i in seen}) == sorted(t.id for t in tickets)
    assert len(seen) == 7
    assert seen == sorted(seen, reverse=True)


def test_cursor_from_another_sort_is_rejected(client, support, fake_channel, clock):
    _, headers = support
    make_tickets(fake_channel, clock, 3)
    cursor = client.get("/api/v1/tickets?view=all&limit=1", headers=headers).get_json()["next_cursor"]
    response = client.get(f"/api/v1/tickets?view=all&limit=1&sort=created&cursor={cursor}", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"cursor": [response.get_json()["error"]["message"]]}


def test_builtin_views_and_filters(client, as_role, fake_channel, clock):
    me, headers = as_role("support")
    other, _ = as_role("support")
    a, b, c = make_tickets(fake_channel, clock, 3)
    ticket_service.assign(a, me)
    ticket_service.assign(b, other)
    ticket_service.change_tags(c, add=["vip"])

    def ids(query):
        response = client.get("/api/v1/tickets?" + query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {t["id"] for t in response.get_json()["items"]}

    assert ids("view=mine") == {a.id}
    assert ids("view=unassigned") == {c.id}
    assert ids("view=all") == {a.id, b.id, c.id}
    assert ids("view=all&tag=vip") == {c.id}
    assert ids(f"view=all&assignee={other.id}") == {b.id}
    assert ids("view=all&assignee=none") == {c.id}
    assert ids("view=all&text=c1%40example") == {b.id}
    ticket_service.close(b)
    assert ids("view=all&status=closed") == {b.id}
    assert ids("view=all&status=open&status=snoozed") == {a.id, c.id}
    later = (clock.now() - dt.timedelta(seconds=30)).isoformat() + "Z"
    assert ids(f"view=all&created_after={later}") == {c.id}
    saved = create_view(me, "VIP", {"tag": "vip"})
    assert ids(f"view={saved.id}") == {c.id}


def test_ticket_list_has_no_n_plus_one(client, support, fake_channel, clock):
    agent, headers = support
    make_tickets(fake_channel, clock, 3)
    client.get("/api/v1/tickets?view=all", headers=headers)  # token last_used_at written now, not below
    # The token, the page (with customers, assignees and read markers), its tags.
    with assert_query_count(3):
        assert len(client.get("/api/v1/tickets?view=all", headers=headers).get_json()["items"]) == 3
    make_tickets(fake_channel, clock, 12, prefix="d")
    for t in Ticket.select():
        ticket_service.change_tags(t, add=["x", "y"])
    ticket_service.assign(Ticket.get(), agent)
    client.get("/api/v1/tickets?view=all", headers=headers)
    # Same number of queries for 15 tickets with tags and assignees as for 3.
    with assert_query_count(3):
        assert len(client.get("/api/v1/tickets?view=all&limit=50", headers=headers).get_json()["items"]) == 15


def test_ticket_detail_has_the_overview(client, support, fake_channel, ticket):
    agent, headers = support
    fake_channel.receive("Another question", email="ana@example.net", conversation="x")
    ticket_service.assign(ticket, agent)
    ticket_service.change_tags(ticket, add=["Shipping"])
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert body["number"] == ticket.id
    assert body["assignee"] == {"id": agent.id, "name": agent.name}
    assert body["tags"] == ["shipping"]
    assert body["channel"] == "fake"
    assert body["profile"]["email"] == "ana@example.net"
    assert body["profile_ticket_count"] == 1
    assert body["can_reply"] is True
    assert body["created_at"].endswith("+00:00")
    assert client.get("/api/v1/tickets/999999", headers=headers).status_code == 404


def test_patch_status_snooze_assignee_and_tags(client, support, ticket, clock):
    agent, headers = support
    url = f"/api/v1/tickets/{ticket.id}"
    body = client.patch(url, json={"assignee_id": agent.id, "tags": ["VIP", "refund"]}, headers=headers).get_json()
    assert body["assignee"]["id"] == agent.id and body["tags"] == ["refund", "vip"]
    until = (clock.now() + dt.timedelta(hours=4)).isoformat() + "Z"
    body = client.patch(url, json={"status": "snoozed", "snoozed_until": until}, headers=headers).get_json()
    assert body["status"] == "snoozed" and body["snoozed_until"].startswith(until[:16])
    response = client.patch(url, json={"status": "snoozed"}, headers=headers)
    assert response.status_code == 400
    assert "snoozed_until" in response.get_json()["error"]["fields"]
    body = client.patch(url, json={"status": "closed", "assignee_id": None}, headers=headers).get_json()
    assert body["status"] == "closed" and body["closed_reason"] == "agent" and body["assignee"] is None
    response = client.patch(url, json={"assignee_id": 424242}, headers=headers)
    assert response.status_code == 422 and "assignee_id" in response.get_json()["error"]["fields"]


def test_messages_reply_note_and_older_pages(client, support, fake_channel, ticket, clock):
    agent, headers = support
    for i in range(4):
        fake_channel.receive(f"more {i}", email="ana@example.net")
    url = f"/api/v1/tickets/{ticket.id}/messages"
    reply = client.post(url, json={"kind": "reply", "text": "On its way!"}, headers=headers)
    assert reply.status_code == 201
    assert reply.get_json()["delivery_state"] in ("queued", "sent")
    assert fake_channel.sent[-1].text == "On its way!"
    note = client.post(url, json={"kind": "note", "text": "Check the warehouse"}, headers=headers).get_json()
    assert note["kind"] == "note" and note["author"]["id"] == agent.id
    assert len(fake_channel.sent) == 1  # notes are never delivered
    page = client.get(url + "?limit=3", headers=headers).get_json()
    assert [m["text"] for m in page["items"]] == ["more 3", "On its way!", "Check the warehouse"]
    assert page["has_more"] is True
    older = client.get(f"{url}?limit=3&before={page['before']}", headers=headers).get_json()
    assert [m["text"] for m in older["items"]] == ["more 0", "more 1", "more 2"]
    rest = client.get(f"{url}?before={older['before']}", headers=headers).get_json()
    assert [m["text"] for m in rest["items"]] == ["Where is my order?"] and rest["has_more"] is False


def test_refused_reply_answers_409_with_the_channel_reason(client, support, fake_channel, ticket):
    _, headers = support
    fake_channel.refuse_with("no_consent", "This customer has not agreed to SMS.")
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "Hi"}, headers=headers
    )
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "no_consent", "message": "This customer has not agreed to SMS."}
    assert not Message.select().where(Message.direction == "outbound").exists()
    assert (
        client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()["reply_refusal"]["code"] == "no_consent"
    )


def test_bulk_by_ids_and_by_view(client, as_role, fake_channel, clock):
    agent, headers = as_role("support")
    a, b, c = make_tickets(fake_channel, clock, 3)
    body = client.post(
        "/api/v1/tickets/bulk",
        json={"action": "assign", "ids": [a.id, b.id, 999999], "assignee_id": agent.id},
        headers=headers,
    ).get_json()
    assert body["succeeded"] == 2 and body["failed"] == 1
    assert {r["id"]: r["ok"] for r in body["results"]} == {a.id: True, b.id: True, 999999: False}
    body = client.post("/api/v1/tickets/bulk", json={"action": "close", "view": "mine"}, headers=headers).get_json()
    assert sorted(r["id"] for r in body["results"]) == sorted([a.id, b.id])
    assert Ticket.get_by_id(c.id).status == "open"
    assert {Ticket.get_by_id(a.id).status, Ticket.get_by_id(b.id).status} == {"closed"}
    response = client.post("/api/v1/tickets/bulk", json={"action": "tag", "ids": [c.id]}, headers=headers)
    assert response.status_code == 422 and "tags" in response.get_json()["error"]["fields"]


def test_bulk_by_view_selects_what_the_list_shows(client, as_role, fake_channel, clock):
    agent, headers = as_role("support")
    a, b = make_tickets(fake_channel, clock, 2)
    ticket_service.assign(a, agent)
    ticket_service.assign(b, agent)
    ticket_service.close(b)
    listed = client.get("/api/v1/tickets?view=mine", headers=headers).get_json()["items"]
    assert [t["id"] for t in listed] == [a.id]
    body = client.post(
        "/api/v1/tickets/bulk",
        json={"action": "tag", "tags": ["x"], "view": "mine", "filters": {"status": []}},
        headers=headers,
    ).get_json()
    assert [r["id"] for r in body["results"]] == [a.id], "an empty filter does not widen the view"
