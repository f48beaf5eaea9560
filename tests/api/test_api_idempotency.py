"""``Idempotency-Key`` on replies and notes: a client that retries after a
lost answer never sends the customer the same reply twice."""

import threading

from app.models import IdempotencyKey, Message, Outbox
from app.services.idempotency import purge


def outbound(ticket):
    return list(
        Message.select().where((Message.ticket == ticket.id) & (Message.direction == "outbound")).order_by(Message.id)
    )


def test_a_retried_reply_with_the_same_key_is_sent_once(client, support, ticket):
    _agent, headers = support
    keyed = {**headers, "Idempotency-Key": "7f0c7b9e-reply-1"}
    body = {"kind": "reply", "text": "Your order left today."}

    first = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)
    again = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)

    assert first.status_code == 201 and again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert [m.text for m in outbound(ticket)] == ["Your order left today."]
    assert Outbox.select().count() == 1


def test_without_a_key_every_request_makes_a_message(client, support, ticket):
    _agent, headers = support
    body = {"kind": "note", "text": "Checked the warehouse."}
    client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=headers)
    client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=headers)
    assert len(outbound(ticket)) == 2


def test_a_key_reused_for_another_request_is_refused(client, support, ticket):
    _agent, headers = support
    keyed = {**headers, "Idempotency-Key": "key-1"}
    client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "One"}, headers=keyed)

    other = client.post(f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "Two"}, headers=keyed)

    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "different request" in error["fields"]["Idempotency-Key"][0]
    assert [m.text for m in outbound(ticket)] == ["One"]


def test_keys_belong_to_their_agent(client, as_role, ticket):
    _a, ana = as_role("support")
    _b, ben = as_role("manager")
    body = {"kind": "note", "text": "Same words"}
    for headers in (ana, ben):
        answer = client.post(
            f"/api/v1/tickets/{ticket.id}/messages", json=body, headers={**headers, "Idempotency-Key": "k"}
        )
        assert answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
    assert len(outbound(ticket)) == 2


def test_a_malformed_key_is_a_clear_error(client, support, ticket):
    _agent, headers = support
    for key in ("", "has space", "x" * 256, "ñ"):
        answer = client.post(
            f"/api/v1/tickets/{ticket.id}/messages",
            json={"kind": "note", "text": "hi"},
            headers={**headers, "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
        )
        assert answer.status_code == 422, key
        assert answer.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert outbound(ticket) == []


def test_a_refused_reply_records_no_key(client, support, ticket, fake_channel):
    """A reply the channel refuses makes nothing, so the same key works for
    the retry once the reason is gone."""
    _agent, headers = support
    keyed = {**headers, "Idempotency-Key": "k2"}
    body = {"kind": "reply", "text": "Hello"}
    fake_channel.refuse_with("no_consent", "The customer has not agreed to messages.")

    refused = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)

    assert refused.status_code == 409
    assert IdempotencyKey.select().count() == 0
    fake_channel.refuse = None
    sent = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)
    assert sent.status_code == 201 and "Idempotent-Replayed" not in sent.headers
    assert [m.text for m in outbound(ticket)] == ["Hello"]


def test_keys_expire_after_the_window(client, support, ticket, clock):
    _agent, headers = support
    keyed = {**headers, "Idempotency-Key": "daily-sync"}
    body = {"kind": "note", "text": "Nightly sync ran."}
    client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)

    clock.advance(hours=25)
    assert purge() == 1
    again = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=body, headers=keyed)

    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert len(outbound(ticket)) == 2


def test_concurrent_retries_make_one_message(app, support, ticket):
    _agent, headers = support
    keyed = {**headers, "Idempotency-Key": "burst"}
    answers = []

    def send():
        with app.test_client() as c:
            answers.append(
                c.post(f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "Once"}, headers=keyed)
            )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(a.status_code for a in answers) == [201] * 8
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert [m.text for m in outbound(ticket)] == ["Once"]
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
