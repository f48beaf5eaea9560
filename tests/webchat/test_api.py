"""The widget API: tokens, CORS, validation, idempotency, routing after
close, typing, notes never shown."""

import datetime as dt

from app.events import get_bus
from app.models import Message, Ticket
from app.services.messages import add_note, reply
from app.services.tickets import close
from plugins.webchat.models import Conversation

from .conftest import SITE_KEY, STOREFRONT


def test_each_conversation_is_a_new_ticket_even_for_the_same_person(visitor):
    first = visitor("Ada", "ada@example.net")
    first.say("Hi")
    second = visitor("Ada", "ada@example.net", visitor_id=first.visitor_id)  # the same browser
    second.say("Hi again")
    tickets = list(Ticket.select().where(Ticket.channel == "webchat"))
    assert len(tickets) == 2
    assert tickets[0].profile_id == tickets[1].profile_id


def test_a_token_reads_only_its_own_conversation(client, visitor):
    alice, mallory = visitor("Alice"), visitor("Mallory")
    alice.say("My address is 1 Secret Lane")
    mallory.start()
    stolen = client.get(f"/api/v1/webchat/conversations/{alice.cid}/messages", headers=mallory.headers())
    assert stolen.status_code == 403
    assert "Secret" not in stolen.get_data(as_text=True)
    stream = client.get(f"/api/v1/webchat/conversations/{alice.cid}/stream?token={mallory.token}")
    assert stream.status_code == 403
    post = client.post(
        f"/api/v1/webchat/conversations/{alice.cid}/messages",
        headers=mallory.headers(),
        json={"client_id": "x1", "text": "injected"},
    )
    assert post.status_code == 403
    assert client.get(f"/api/v1/webchat/conversations/{alice.cid}/messages").status_code == 401
    forged = client.get(
        f"/api/v1/webchat/conversations/{alice.cid}/messages", headers={"X-Webchat-Token": alice.token[:-4] + "AAAA"}
    )
    assert forged.status_code == 401


def test_unknown_site_key_is_refused(client, webchat):
    r = client.post("/api/v1/webchat/conversations", json={"key": "nope-nope-nope-nope"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "unknown_site_key"


def test_cors_allows_only_configured_origins(client, webchat):
    preflight = client.options(
        "/api/v1/webchat/conversations",
        headers={
            "Origin": STOREFRONT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-webchat-token",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "X-Webchat-Token" in preflight.headers["Access-Control-Allow-Headers"]
    ok = client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY}, headers={"Origin": STOREFRONT})
    assert ok.status_code == 201 and ok.headers["Access-Control-Allow-Origin"] == STOREFRONT
    evil = client.post(
        "/api/v1/webchat/conversations", json={"key": SITE_KEY}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers


def test_an_allowed_origin_is_kept_as_browsers_send_it(client, webchat):
    # Written as copied from an address bar: capitals, the default port, a "/".
    webchat.set_settings(
        "webchat",
        {"allowed_origins": ["HTTPS://Shop.Example.com:443/", "http://127.0.0.1:8081/", "https://b.example:8443"]},
    )
    assert webchat.get_settings("webchat")["allowed_origins"] == [
        "https://shop.example.com",
        "http://127.0.0.1:8081",
        "https://b.example:8443",
    ]
    for origin in ("https://shop.example.com", "http://127.0.0.1:8081", "https://b.example:8443"):
        ok = client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY}, headers={"Origin": origin})
        assert ok.status_code == 201 and ok.headers["Access-Control-Allow-Origin"] == origin
    other_port = client.post(
        "/api/v1/webchat/conversations", json={"key": SITE_KEY}, headers={"Origin": "https://b.example"}
    )
    assert other_port.status_code == 403


def test_bad_input_gets_field_errors(client, visitor):
    v = visitor()
    v.start()
    url = f"/api/v1/webchat/conversations/{v.cid}/messages"
    empty = client.post(url, headers=v.headers(), json={"client_id": "a", "text": "   "})
    assert empty.status_code == 422 and "text" in empty.get_json()["error"]["fields"]
    long = client.post(url, headers=v.headers(), json={"client_id": "a", "text": "x" * 4001})
    assert long.status_code == 422 and "text" in long.get_json()["error"]["fields"]
    bad_id = client.post(url, headers=v.headers(), json={"client_id": "a b/c", "text": "hi"})
    assert bad_id.status_code == 422 and "client_id" in bad_id.get_json()["error"]["fields"]
    not_json = client.post(url, headers=v.headers(), data="hello", content_type="text/plain")
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "bad_request"
    huge = client.post(url, headers=v.headers(), json={"client_id": "a", "text": "x" * 40000})
    assert huge.status_code == 413
    bad_email = client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY, "email": "not-an-email"})
    assert bad_email.status_code == 422 and "email" in bad_email.get_json()["error"]["fields"]
    assert Message.select().count() == 0


def test_resending_a_message_is_idempotent(visitor):
    v = visitor()
    first = v.say("Is this in stock?", client_id="c-1")
    again = v.say("Is this in stock?", client_id="c-1")
    assert first["message"]["id"] == again["message"]["id"]
    assert Message.select().where(Message.direction == "inbound").count() == 1


def test_writing_after_close_starts_a_new_conversation_and_ticket(visitor, make_agent):
    v = visitor("Ada")
    v.say("First question")
    old_cid, old_token = v.cid, v.token
    first = Ticket.get(Ticket.channel == "webchat")
    reply(first, make_agent(), "Answered")
    close(first)
    body = v.say("One more thing")
    assert body["conversation_id"] != old_cid and body["token"] != old_token
    second = Ticket.get_by_id(Message.get_by_id(body["message"]["id"]).ticket_id)
    assert second.id != first.id and second.status == "open"
    assert Ticket.get_by_id(first.id).status == "closed" and Ticket.get_by_id(first.id).reopen_count == 0
    # A resend to the old conversation (the widget missed the switch) lands once, in the new ticket.
    v.cid, v.token = old_cid, old_token
    resent = v.say("One more thing", client_id=f"m{v._n}")
    assert resent["message"]["id"] == body["message"]["id"]
    assert [m["text"] for m in v.messages()] == ["One more thing"]


def test_visitor_never_sees_notes(visitor, make_agent, clock):
    v = visitor()
    v.say("Hello")
    ticket = Ticket.get(Ticket.channel == "webchat")
    agent = make_agent()
    add_note(ticket, agent, "This customer is rude")
    reply(ticket, agent, "Hello, how can I help?")
    shown = v.messages()
    assert [m["text"] for m in shown] == ["Hello", "Hello, how can I help?"]
    # Times as the rest of the API writes them: ISO 8601 with the UTC offset.
    assert [m["at"] for m in shown] == [clock.now().replace(tzinfo=dt.UTC).isoformat()] * 2


def test_typing_records_expiry_and_tells_agents(client, visitor, clock, app):
    v = visitor()
    v.say("Hello")
    ticket = Ticket.get(Ticket.channel == "webchat")
    with get_bus().subscribe() as sub:
        r = client.post(f"/api/v1/webchat/conversations/{v.cid}/typing", headers=v.headers())
        assert r.status_code == 204
        event = sub.get(timeout=5)
        while event is not None and event["type"] != "typing":
            event = sub.get(timeout=5)
    assert event["data"] == {"ticket_id": ticket.id, "who": "customer"}
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.customer_typing_until == clock.now() + dt.timedelta(seconds=8)


def test_rate_limit_answers_429(client, visitor, app):
    app.config["RATELIMIT_ENABLED"] = True
    statuses = [
        client.post(
            "/api/v1/webchat/conversations", json={"key": SITE_KEY}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
        ).status_code
        for _ in range(25)
    ]
    assert statuses.count(201) == 20 and statuses[-1] == 429


def test_widget_script_and_config(client, webchat):
    js = client.get("/webchat/widget.js")
    assert js.status_code == 200 and js.mimetype == "text/javascript"
    # One small file: under 21,000 bytes unminified (about 6,500 gzipped).
    assert b"EventSource" in js.data and len(js.data) < 21000
    config = client.get(f"/api/v1/webchat/config?key={SITE_KEY}").get_json()
    assert config["available"] is True and config["title"] == "Chat with us"
    demo = client.get("/webchat/demo")
    assert demo.status_code == 200 and f'data-key="{SITE_KEY}"' in demo.get_data(as_text=True)


def test_disabled_plugin_answers_404(client, webchat):
    webchat.set_enabled("webchat", False)
    assert client.get("/webchat/widget.js").status_code == 404
    assert client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY}).status_code == 404


def test_a_borrowed_visitor_id_does_not_reach_another_conversation(client, visitor):
    victim = visitor("Victim")
    victim.say("My card ends in 4242", client_id="c1")
    victim_visitor_id = Conversation.get(Conversation.public_id == victim.cid).visitor_id
    r = client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY, "visitor_id": victim_visitor_id})
    attacker = r.get_json()
    answer = client.post(
        f"/api/v1/webchat/conversations/{attacker['conversation_id']}/messages",
        headers={"X-Webchat-Token": attacker["token"]},
        json={"client_id": "c1", "text": "hi"},
    )
    body = answer.get_json()
    assert answer.status_code == 201 and body["message"]["text"] == "hi"
    assert body["conversation_id"] == attacker["conversation_id"] and "token" not in body


def test_snippet_command_prints_the_script_tag_with_a_generated_key(app):
    result = app.test_cli_runner().invoke(args=["webchat", "snippet", "--base-url", "https://help.example.com/"])
    assert result.exit_code == 0, result.output
    key = app.extensions["helpline.plugins"].get_settings("webchat")["site_keys"][0]
    assert result.output.strip() == (
        f'<script src="https://help.example.com/webchat/widget.js" data-key="{key}" async></script>'
    )


def test_agent_sidebar_shows_the_visitor(app, client, visitor, clock):
    from app.plugins import get_plugins

    r = client.post(
        "/api/v1/webchat/conversations",
        json={"key": SITE_KEY, "email": "ada@example.net", "page_url": "https://shop.example.test/tea"},
    )
    body = r.get_json()
    client.post(
        f"/api/v1/webchat/conversations/{body['conversation_id']}/messages",
        headers={"X-Webchat-Token": body["token"]},
        json={"client_id": "a", "text": "Hi"},
    )
    ticket = Ticket.get(Ticket.channel == "webchat")

    def card():  # the channel's card beside the customer on the ticket page
        with app.test_request_context():
            found = get_plugins().channel("webchat").card(ticket)
        return {f.label: (f.value, f.href, f.state) for f in found.facts}

    facts = card()
    assert facts["Visitor"] == ("In the chat now", None, "online")
    assert facts["Page"] == ("https://shop.example.test/tea", "https://shop.example.test/tea", None)
    assert facts["Email (typed)"][0] == "ada@example.net"
    clock.advance(minutes=5)
    assert card()["Visitor"] == ("Left the chat", None, "left")


def test_page_url_is_only_ever_a_web_address(client, webchat):
    r = client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY, "page_url": "javascript:alert(1)"})
    assert r.status_code == 201
    assert Conversation.get(Conversation.public_id == r.get_json()["conversation_id"]).page_url == ""
