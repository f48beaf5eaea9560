"""Two agents on one ticket, over HTTP: ticket presence (who is viewing or
typing), the guard against answering a customer twice (``after_message_id``
in the UI and the API, 409 ``newer_reply``), the bell's ``notification.read``
reaching only its agent, and the merge picker's search."""

import datetime as dt
import json
import os
import re

import pytest
import requests

from app.auth import create_token
from app.events import get_bus
from app.models import Message
from app.services import messages, notifications
from app.services.tickets import assign
from app.web import presence as presence_view

SCRIPT = {"Accept": "application/json"}


def events_of(sub, wanted, timeout=5):
    """The next event of type ``wanted`` on a bus subscription (others skipped)."""
    while True:
        event = sub.get(timeout=timeout)
        assert event is not None, f"no {wanted} event"
        if event["type"] == wanted:
            return event


def page_after_id(client, ticket):
    html = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    return int(re.search(r'name="after_message_id" value="(\d+)"', html).group(1))


def outbound_texts(ticket):
    """The public replies on ``ticket`` (what the customer receives)."""
    rows = Message.select().where(
        (Message.ticket == ticket.id) & (Message.direction == "outbound") & (Message.kind == "message")
    )
    return [m.text for m in rows.order_by(Message.id)]


@pytest.fixture
def ana(make_agent):
    return make_agent(role="support", name="Ana Agent", password=None)


@pytest.fixture
def bo(make_agent):
    return make_agent(role="manager", name="Bo Boss", password=None)


@pytest.fixture
def ticket(fake_channel):
    return fake_channel.receive("Where is my order?", email="pat@example.net", name="Pat").ticket


# --- presence ---------------------------------------------------------------


def test_presence_is_announced_to_the_other_pages(client, login, ana, ticket, clock):
    login(client, ana)
    with get_bus().subscribe() as sub:
        answer = client.post(f"/t/{ticket.id}/presence", data={"state": "viewing"}, headers=SCRIPT)
        assert answer.status_code == 200 and answer.get_json() == {"ok": True, "state": "viewing"}
        event = events_of(sub, "ticket.presence")
    assert event["data"] == {
        "ticket_id": ticket.id,
        "agent_id": ana.id,
        "name": "Ana Agent",
        "state": "viewing",
        "at": clock.now().replace(tzinfo=dt.UTC).isoformat(),  # the API's way of writing UTC
    }
    for state in ("typing", "left"):
        with get_bus().subscribe() as sub:
            client.post(f"/t/{ticket.id}/presence", data={"state": state}, headers=SCRIPT)
            assert events_of(sub, "ticket.presence")["data"]["state"] == state


def test_an_agent_typing_still_reaches_the_chat_visitor(client, login, ana, ticket):
    # The web chat stream relays the ``typing`` event ("Support is typing...").
    login(client, ana)
    with get_bus().subscribe() as sub:
        client.post(f"/t/{ticket.id}/presence", data={"state": "typing"}, headers=SCRIPT)
        event = events_of(sub, "typing")
    assert event["data"] == {"ticket_id": ticket.id, "who": "agent", "agent_id": ana.id, "name": "Ana Agent"}


def test_the_old_typing_path_is_gone(client, login, ana, ticket):
    login(client, ana)
    assert client.post(f"/t/{ticket.id}/typing", headers=SCRIPT).status_code == 404


@pytest.mark.parametrize("form", [{"state": "dancing"}, {"state": ""}, {}, {"state": "x" * 5000}])
def test_a_bad_presence_state_is_refused_and_not_announced(client, login, ana, ticket, form):
    login(client, ana)
    with get_bus().subscribe() as sub:
        answer = client.post(f"/t/{ticket.id}/presence", data=form, headers=SCRIPT)
        assert sub.get(timeout=0.2) is None
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "invalid" and error["fields"] == {"state": ["The state is viewing, typing or left."]}


def test_presence_follows_the_role_table(client, login, make_agent, ticket):
    for role in ("owner", "admin", "manager", "support"):
        login(client, make_agent(role=role, password=None))
        assert client.post(f"/t/{ticket.id}/presence", data={"state": "viewing"}, headers=SCRIPT).status_code == 200
    login(client, make_agent(role="analyst", password=None))
    answer = client.post(f"/t/{ticket.id}/presence", data={"state": "viewing"}, headers=SCRIPT)
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"


def test_presence_on_a_missing_ticket_is_404(client, login, ana):
    login(client, ana)
    assert client.post("/t/424242/presence", data={"state": "viewing"}, headers=SCRIPT).status_code == 404


class TestPresenceLimits:
    @pytest.fixture
    def helpline_config(self, tmp_path):
        return {
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": True,
            # This test's own counters, whatever else shares the Redis.
            "RATELIMIT_KEY_PREFIX": f"helpline-presence-{os.getpid()}-{tmp_path.name}",
        }

    def csrf_token(self, client):
        html = client.get("/inbox/mine").get_data(as_text=True)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    def test_a_forged_post_is_refused_and_a_beacon_with_the_form_token_works(self, client, login, ana, ticket):
        login(client, ana)
        forged = client.post(f"/t/{ticket.id}/presence", data={"state": "viewing"}, headers=SCRIPT)
        assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "csrf_failed"
        # navigator.sendBeacon cannot set headers: the token rides in the form.
        token = self.csrf_token(client)
        beacon = client.post(f"/t/{ticket.id}/presence", data={"state": "left", "csrf_token": token})
        assert beacon.status_code == 200

    def test_announcements_are_rate_bounded_per_agent(self, client, login, ana, ticket, monkeypatch):
        monkeypatch.setattr(presence_view, "TICKET_PRESENCE_LIMIT", "3 per minute")
        login(client, ana)
        headers = {**SCRIPT, "X-CSRFToken": self.csrf_token(client)}
        answers = [
            client.post(f"/t/{ticket.id}/presence", data={"state": "typing"}, headers=headers).status_code
            for _ in range(4)
        ]
        assert answers == [200, 200, 200, 429]


# --- another agent replied while you were writing (UI) ----------------------


def test_a_reply_after_another_agents_reply_is_held_then_sent_anyway(client, login, ana, bo, ticket):
    login(client, ana)
    seen = page_after_id(client, ticket)
    theirs = messages.reply(ticket, bo, "It shipped yesterday.")  # while Ana writes

    held = client.post(
        f"/t/{ticket.id}/messages",
        data={"mode": "reply", "text": "Let me check.", "after_message_id": seen},
        headers=SCRIPT,
    )
    assert held.status_code == 409
    error = held.get_json()["error"]
    assert error["code"] == "newer_reply"
    assert error["message"].startswith("Bo Boss replied while you were writing.")
    assert error["newer"] == {"id": theirs.id, "author": "Bo Boss"}
    assert outbound_texts(ticket) == ["It shipped yesterday."]

    anyway = client.post(
        f"/t/{ticket.id}/messages",
        data={"mode": "reply", "text": "Let me check.", "after_message_id": theirs.id},
        headers=SCRIPT,
    )
    assert anyway.status_code == 200
    assert outbound_texts(ticket) == ["It shipped yesterday.", "Let me check."]


def test_only_someone_elses_public_reply_holds_a_reply(client, login, ana, bo, ticket, fake_channel):
    login(client, ana)
    seen = page_after_id(client, ticket)
    messages.add_note(ticket, bo, "Customer called too.")  # a note: the customer saw nothing
    fake_channel.receive("Any news?", email="pat@example.net")  # the customer writing is not a reply
    mine = messages.reply(ticket, ana, "First part.")  # my own reply from another tab
    answer = client.post(
        f"/t/{ticket.id}/messages", data={"text": "Second part.", "after_message_id": seen}, headers=SCRIPT
    )
    assert answer.status_code == 200
    assert outbound_texts(ticket) == [mine.text, "Second part."]


def test_notes_and_forms_without_the_field_are_never_held(client, login, ana, bo, ticket):
    login(client, ana)
    seen = page_after_id(client, ticket)
    messages.reply(ticket, bo, "It shipped yesterday.")
    note = client.post(
        f"/t/{ticket.id}/messages", data={"mode": "note", "text": "FYI", "after_message_id": seen}, headers=SCRIPT
    )
    assert note.status_code == 200
    old_page = client.post(f"/t/{ticket.id}/messages", data={"text": "Sent from an old page."}, headers=SCRIPT)
    assert old_page.status_code == 200


def test_a_bad_after_message_id_is_refused(client, login, ana, ticket):
    login(client, ana)
    for bad in ("-1", "abc", str(2**40)):
        answer = client.post(f"/t/{ticket.id}/messages", data={"text": "Hi", "after_message_id": bad}, headers=SCRIPT)
        assert answer.status_code == 400
        assert list(answer.get_json()["error"]["fields"]) == ["after_message_id"]
    assert outbound_texts(ticket) == []


def test_without_scripts_the_page_shows_the_warning_and_keeps_the_draft(client, login, ana, bo, ticket):
    login(client, ana)
    seen = page_after_id(client, ticket)
    theirs = messages.reply(ticket, bo, "It shipped yesterday.")
    page = client.post(
        f"/t/{ticket.id}/messages",
        data={"mode": "reply", "text": "Let me check <the warehouse>.", "after_message_id": seen},
        headers={"Accept": "text/html"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Bo Boss replied while you were writing." in html
    assert f'href="#message-{theirs.id}"' in html and "Show their reply" in html
    assert "Let me check &lt;the warehouse&gt;.</textarea>" in html  # the draft, escaped
    assert f'name="after_message_id" value="{theirs.id}"' in html  # sending again goes out
    assert "Send anyway" in html
    assert outbound_texts(ticket) == ["It shipped yesterday."]


# --- the same guard in the API ------------------------------------------------


@pytest.fixture
def ana_token(ana):
    _row, token = create_token(ana, "test")
    return {"Authorization": f"Bearer {token}"}


def test_api_after_message_id_gives_409_newer_reply(client, ana_token, bo, ticket):
    first = Message.get(Message.ticket == ticket.id).id
    messages.reply(ticket, bo, "It shipped yesterday.")
    url = f"/api/v1/tickets/{ticket.id}/messages"
    held = client.post(
        url, json={"kind": "reply", "text": "Let me check.", "after_message_id": first}, headers=ana_token
    )
    assert held.status_code == 409
    error = held.get_json()["error"]
    assert error["code"] == "newer_reply" and list(error["fields"]) == ["after_message_id"]
    assert outbound_texts(ticket) == ["It shipped yesterday."]
    # Absent: no check (clients written before the field are unaffected).
    assert client.post(url, json={"kind": "reply", "text": "Anyway."}, headers=ana_token).status_code == 201
    # Notes are never held.
    note = {"kind": "note", "text": "FYI", "after_message_id": first}
    assert client.post(url, json=note, headers=ana_token).status_code == 201
    bad = client.post(url, json={"kind": "reply", "text": "x", "after_message_id": 0}, headers=ana_token)
    assert bad.status_code == 422 and "after_message_id" in bad.get_json()["error"]["fields"]


def test_api_a_replayed_idempotency_key_replays_rather_than_409(client, ana_token, bo, ticket):
    first = Message.get(Message.ticket == ticket.id).id
    url = f"/api/v1/tickets/{ticket.id}/messages"
    keyed = {**ana_token, "Idempotency-Key": "reply-after-1"}
    body = {"kind": "reply", "text": "Your order left today.", "after_message_id": first}
    made = client.post(url, json=body, headers=keyed)
    assert made.status_code == 201
    messages.reply(ticket, bo, "It shipped yesterday.")  # newer than after_message_id now

    again = client.post(url, json=body, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == made.get_json()["id"]
    # A held request records no key: its retry is held again, not replayed.
    held_body = {**body, "text": "Second try."}
    held_headers = {**ana_token, "Idempotency-Key": "reply-after-2"}
    for _ in range(2):
        assert client.post(url, json=held_body, headers=held_headers).status_code == 409
    assert outbound_texts(ticket) == ["Your order left today.", "It shipped yesterday."]


def test_the_openapi_document_describes_after_message_id(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["MessageCreate"]["properties"]["after_message_id"]
    assert schema["type"] == "integer" and "newer_reply" in schema["description"]


# --- the bell in other tabs ----------------------------------------------------


def test_notification_read_reaches_only_that_agent(app, login, ana, bo, ticket):
    assign(ticket, ana, actor=bo)  # Ana gets a notification
    assign(ticket, bo, actor=ana)  # and Bo one too
    assert notifications.unread_count(ana) == 1 and notifications.unread_count(bo) == 1
    tabs = _open_tabs(app, login, (ana, bo), "notification.read")

    ana_client = tabs[ana.id][0]
    assert ana_client.post("/notifications/read-all", headers=SCRIPT).status_code == 200

    got = next(tabs[ana.id][2]).decode()
    assert got.startswith("id:") and "event: notification.read" in got
    data = json.loads(got.split("data: ", 1)[1])
    assert data == {"agent_id": ana.id, "unread": 0}
    # Bo's stream sends nothing but its keepalive: the event was not his.
    assert next(tabs[bo.id][2]) == b": keepalive\n\n"
    assert notifications.unread_count(bo) == 1
    for _client, stream, _chunks in tabs.values():
        stream.close()


def test_a_new_notification_reaches_only_its_agent(app, login, ana, bo, ticket):
    tabs = _open_tabs(app, login, (ana, bo), "notification")

    assign(ticket, ana, actor=bo)  # Ana gets a notification; Bo's pages must not learn of it

    got = next(tabs[ana.id][2]).decode()
    assert "event: notification" in got
    data = json.loads(got.split("data: ", 1)[1])
    assert data["agent_id"] == ana.id and data["kind"] == "assigned" and data["unread"] == 1
    assert next(tabs[bo.id][2]) == b": keepalive\n\n"
    for _client, stream, _chunks in tabs.values():
        stream.close()


def test_presence_goes_only_to_the_pages_of_that_ticket(app, login, ana, bo, ticket, fake_channel):
    # Ana has two tabs: this ticket's page and another ticket's page. Bo's
    # heartbeat on this ticket reaches the first only; a ticket event
    # still reaches both (a presence heartbeat is not for every open tab).
    other = fake_channel.receive("Another question", email="other@example.net").ticket
    here = _open_tabs(app, login, (ana,), "ticket.presence,typing,ticket.updated", query=f"&ticket={ticket.id}")
    there = _open_tabs(app, login, (ana,), "ticket.presence,typing,ticket.updated", query=f"&ticket={other.id}")
    bo_client = login(app.test_client(), bo)
    assert bo_client.post(f"/t/{ticket.id}/presence", data={"state": "typing"}, headers=SCRIPT).status_code == 200
    assign(ticket, bo)

    seen_here = [next(here[ana.id][2]).decode() for _ in range(3)]
    assert [re.search(r"event: (\S+)", chunk).group(1) for chunk in seen_here] == [
        "ticket.presence",
        "typing",
        "ticket.updated",
    ]
    first_there = next(there[ana.id][2]).decode()
    assert "event: ticket.updated" in first_there  # no presence, no typing of a ticket this tab does not show
    for tabs in (here, there):
        tabs[ana.id][1].close()


@pytest.mark.parametrize("value", ["0", "-3", "x", str(2**63)])
def test_a_bad_stream_ticket_is_refused(client, login, ana, value):
    login(client, ana)
    answer = client.get(f"/events/stream?ticket={value}&once=1&timeout=0.1")
    assert answer.status_code == 422 and "Some fields are not valid." in answer.get_data(as_text=True)


def test_the_ticket_page_streams_its_own_presence(client, login, ana, ticket):
    login(client, ana)
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert f'data-stream="/events/stream?ticket={ticket.id}"' in page
    inbox = client.get("/inbox/mine").get_data(as_text=True)
    assert 'data-stream="/events/stream"' in inbox


def _open_tabs(app, login, agents, types, query=""):
    """Each agent's event stream of ``types``, subscribed: {agent id: (client, stream, chunks)}."""
    tabs = {}
    for who in agents:
        client = login(app.test_client(), who)
        stream = client.get(f"/events/stream?types={types}&timeout=2{query}", buffered=False)
        chunks = iter(stream.response)
        assert next(chunks).startswith(b"retry:")  # subscribed
        tabs[who.id] = (client, stream, chunks)
    return tabs


class TestPrivateEventsOnTheStreamServer:
    """``helpline streams`` (the asyncio stream server) keeps private events
    to their agent too."""

    @pytest.fixture
    def helpline_config(self):
        return {"EVENTS_URL": os.environ.get("HELPLINE_EVENTS_URL") or "redis://127.0.0.1:6379/0"}

    def test_a_private_event_reaches_only_its_agent(self, app, stream_server, ana, bo):
        from app.bus import RedisBus

        publisher = RedisBus(app.config["EVENTS_URL"], app.config["EVENTS_CHANNEL"])
        firsts = {}
        streams = {}
        for who in (ana, bo):
            _row, token = create_token(who, "test")
            streams[who.id] = requests.get(
                stream_server + "/events/stream?types=notification.read,ticket.created&timeout=5",
                headers={"Authorization": f"Bearer {token}"},
                stream=True,
                timeout=30,
            )
            assert streams[who.id].status_code == 200
        try:
            publisher.publish({"type": "notification.read", "data": {"agent_id": ana.id, "unread": 0}, "to": ana.id})
            publisher.publish({"type": "ticket.created", "data": {"ticket_id": 42}})
            for who_id, response in streams.items():
                firsts[who_id] = _first_event(response)
        finally:
            for response in streams.values():
                response.close()
        assert firsts[ana.id] == ("notification.read", {"agent_id": ana.id, "unread": 0})
        assert firsts[bo.id] == ("ticket.created", {"ticket_id": 42})

    def test_presence_reaches_only_the_streams_of_its_ticket(self, app, stream_server, ana):
        from app.bus import RedisBus

        publisher = RedisBus(app.config["EVENTS_URL"], app.config["EVENTS_CHANNEL"])
        _row, token = create_token(ana, "test")
        streams = {
            ticket_id: requests.get(
                stream_server + f"/events/stream?types=ticket.presence,ticket.created&timeout=5&ticket={ticket_id}",
                headers={"Authorization": f"Bearer {token}"},
                stream=True,
                timeout=30,
            )
            for ticket_id in (7, 8)
        }
        try:
            assert all(r.status_code == 200 for r in streams.values())
            presence = {"ticket_id": 7, "agent_id": 99, "name": "Bo", "state": "viewing", "at": "x"}
            publisher.publish({"type": "ticket.presence", "data": presence})
            publisher.publish({"type": "ticket.created", "data": {"ticket_id": 42}})
            firsts = {ticket_id: _first_event(response) for ticket_id, response in streams.items()}
        finally:
            for response in streams.values():
                response.close()
        assert firsts == {7: ("ticket.presence", presence), 8: ("ticket.created", {"ticket_id": 42})}


def _first_event(response):
    """``(type, data)`` of the first event of an SSE response."""
    kind = None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind:
            return kind, json.loads(line[6:])
    return None


# --- the merge picker's search -------------------------------------------------


@pytest.fixture
def chat(register_plugin):
    from app.testing.fake import FakeChannelPlugin

    return register_plugin(FakeChannelPlugin("chat", per_conversation=True), "chat")


def test_merge_candidates_search_and_pages(client, login, ana, chat, clock):
    made = []
    for i in range(25):
        clock.advance(minutes=1)
        made.append(chat.receive(f"Question {i} about parcel", email="pat@example.net", conversation=f"c{i}").ticket)
    clock.advance(minutes=1)
    teapot = chat.receive("Refund for the teapot please", email="pat@example.net", conversation="tea").ticket
    other = chat.receive("Refund for the teapot", email="someone@example.net", conversation="x").ticket
    current = made[0]
    login(client, ana)
    url = f"/t/{current.id}/merge/candidates"

    first = client.get(url, headers=SCRIPT).get_json()
    assert len(first["items"]) == 20 and first["next_cursor"]
    assert first["items"][0]["label"].startswith("#") and "teapot" in first["items"][0]["label"]
    assert first["items"][0]["updated_at"] == teapot.updated_at.replace(tzinfo=dt.UTC).isoformat()
    second = client.get(url, query_string={"cursor": first["next_cursor"]}, headers=SCRIPT).get_json()
    assert second["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    # Every other ticket of this customer once, most recent first; never this
    # ticket, never another customer's.
    assert len(ids) == len(set(ids)) == 25
    assert current.id not in ids and other.id not in ids

    words = client.get(url, query_string={"q": "teapot"}, headers=SCRIPT).get_json()
    assert [item["label"] for item in words["items"]] == [f"#{teapot.id} Refund for the teapot please"]
    number = client.get(url, query_string={"q": f"#{made[7].id}"}, headers=SCRIPT).get_json()
    assert [item["id"] for item in number["items"]] == [made[7].id]
    # Without "#", a number is also looked for in the words of the tickets.
    plain = client.get(url, query_string={"q": "7"}, headers=SCRIPT).get_json()
    assert made[7].id in [item["id"] for item in plain["items"]]  # "Question 7 about parcel"
    plain = client.get(url, query_string={"q": str(made[3].id)}, headers=SCRIPT).get_json()
    assert made[3].id in [item["id"] for item in plain["items"]]
    nothing = client.get(url, query_string={"q": "zebra"}, headers=SCRIPT).get_json()
    assert nothing == {"items": [], "next_cursor": None}


def test_merge_candidates_refuse_bad_input_and_other_roles(client, login, ana, make_agent, ticket):
    login(client, ana)
    url = f"/t/{ticket.id}/merge/candidates"
    assert client.get(url, query_string={"q": "x" * 201}, headers=SCRIPT).status_code == 422
    bad_cursor = client.get(url, query_string={"cursor": "nonsense"}, headers=SCRIPT)
    assert bad_cursor.status_code == 400 and bad_cursor.get_json()["error"]["code"] == "invalid_cursor"
    assert client.get("/t/424242/merge/candidates", headers=SCRIPT).status_code == 404
    login(client, make_agent(role="analyst", password=None))
    assert client.get(url, headers=SCRIPT).status_code == 403


def test_the_picker_and_the_guard_cost_one_query_each(ana, bo, chat, clock):
    from playhouse.test_utils import assert_query_count

    from app.db import is_postgres
    from app.services import collision
    from app.services import merge as merge_service

    tickets = []
    for i in range(30):
        clock.advance(minutes=1)
        tickets.append(chat.receive(f"Teapot question {i}", email="pat@example.net", conversation=f"c{i}").ticket)
    for ticket in tickets[:10]:
        messages.reply(ticket, bo, "Answered.")
    # One query (on PostgreSQL after the statement that keeps JIT and parallel
    # workers out of a search).
    searching = 2 if is_postgres() else 1
    with assert_query_count(searching):
        rows, cursor = merge_service.candidates(tickets[0], "teapot", limit=20)
    assert len(rows) == 20 and cursor
    with assert_query_count(searching):
        rows, cursor = merge_service.candidates(tickets[0], "teapot", limit=20, cursor=cursor)
    assert len(rows) == 9 and cursor is None
    with assert_query_count(1):  # the author comes with it
        author = collision.newer_reply(tickets[0], ana, 1).author_agent.name
    assert author == "Bo Boss"
