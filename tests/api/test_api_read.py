"""PUT /tickets/{id}/read (docs/api.md): marks a ticket read for you, up to
one of its messages; the lists' unread flags follow."""


def unread(client, headers):
    items = client.get("/api/v1/tickets?view=all", headers=headers).get_json()["items"]
    return {t["id"]: t["unread"] for t in items}


def test_read_up_to_a_message_of_the_ticket_only(client, support, fake_channel, clock):
    _, headers = support
    first = fake_channel.receive("Where is my order?", email="ana@example.net")
    other = fake_channel.receive("Hello", email="ben@example.net")
    ticket = first.ticket
    url = f"/api/v1/tickets/{ticket.id}/read"

    # Another ticket's message, or an id past the thread: marking "up to" it
    # would hide the customer's next messages as read.
    for message_id in (other.message.id, other.message.id + 1000):
        response = client.put(url, json={"message_id": message_id}, headers=headers)
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "not_found" and list(error["fields"]) == ["message_id"]
    assert unread(client, headers)[ticket.id] is True

    assert client.put(url, json={"message_id": first.message.id}, headers=headers).status_code == 204
    assert unread(client, headers)[ticket.id] is False
    clock.advance(minutes=5)
    fake_channel.receive("Any news?", email="ana@example.net")
    assert unread(client, headers)[ticket.id] is True
    assert client.put(url, json={}, headers=headers).status_code == 204
    assert unread(client, headers) == {ticket.id: False, other.ticket.id: True}
