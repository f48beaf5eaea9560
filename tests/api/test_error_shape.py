"""One HTTP convention across every family of JSON endpoint (the core API,
the macros, SMS and web chat plugin APIs, the UI's JSON fragments): the same
``{"error": {"code", "message", "fields"?}}`` body for 401, 403, 404 and 422,
and CSRF checked after routing, so a route that does not exist answers 404."""

import pytest

from app.auth import create_token
from plugins.webchat import conversations as chats
from plugins.webchat.models import Conversation

SITE_KEY = "wc_error_shape_site_key_01"
SCRIPT = {"Accept": "application/json"}  # what the UI's scripts send


def error_of(response, status, code=None):
    """The error of ``response``, after checking it has the one shape."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if "fields" in error:
        assert all(isinstance(messages, list) for messages in error["fields"].values()), error["fields"]
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def token_of(app):
    return lambda agent: {"Authorization": f"Bearer {create_token(agent, 'test')[1]}"}


@pytest.fixture
def support(make_agent):
    return make_agent(role="support", password=None)


@pytest.fixture
def analyst(make_agent):
    return make_agent(role="analyst", password=None)


def test_core_api(client, token_of, support, analyst, fake_channel):
    ticket = fake_channel.receive("Hello", email="ana@example.net").ticket
    error_of(client.get("/api/v1/tickets"), 401, "unauthorized")
    error_of(client.get("/api/v1/tickets", headers=token_of(analyst)), 403, "forbidden")
    error_of(client.get("/api/v1/tickets/424242", headers=token_of(support)), 404, "not_found")
    error = error_of(
        client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "lost"}, headers=token_of(support)), 422, "invalid"
    )
    assert "status" in error["fields"]


def test_macros_api(client, token_of, support, analyst):
    error_of(client.get("/api/v1/macros"), 401, "unauthorized")
    error_of(client.get("/api/v1/macros", headers=token_of(analyst)), 403, "forbidden")
    shared = client.post(
        "/api/v1/macros", json={"name": "Team", "body": "Hi", "shared": True}, headers=token_of(support)
    )
    error_of(shared, 403, "forbidden")
    error_of(client.get("/api/v1/macros/424242", headers=token_of(support)), 404, "not_found")
    assert "name" in error_of(client.post("/api/v1/macros", json={}, headers=token_of(support)), 422)["fields"]


def test_sms_api(client, token_of, support, analyst):
    sent = {"phone": "+15550100", "source_type": "flow", "source_id": "welcome"}
    error_of(client.post("/api/v1/sms/sent", json=sent), 401, "unauthorized")
    error_of(client.post("/api/v1/sms/sent", json=sent, headers=token_of(analyst)), 403, "forbidden")
    error_of(client.get("/api/v1/sms/settings/warnings", headers=token_of(support)), 403, "forbidden")
    error_of(client.get("/api/v1/sms/nothing-here", headers=token_of(support)), 404, "not_found")
    bad = client.post("/api/v1/sms/sent", json={**sent, "phone": "call me"}, headers=token_of(support))
    assert "phone" in error_of(bad, 422, "invalid")["fields"]


@pytest.fixture
def chat(app):
    app.extensions["helpline.plugins"].set_settings("webchat", {"site_keys": [SITE_KEY]})
    return chats.start(SITE_KEY, "Ada")


def test_webchat_api(client, chat):
    conversation, token = chat
    mine = f"/api/v1/webchat/conversations/{conversation.public_id}/messages"
    error_of(client.get(mine), 401, "token_required")
    _other, other_token = chats.start(SITE_KEY, "Mallory")
    error_of(client.get(mine, headers={"X-Webchat-Token": other_token}), 403, "forbidden")
    error_of(client.post("/api/v1/webchat/conversations", json={"key": "not-a-site-key"}), 403, "unknown_site_key")
    gone = Conversation(public_id="no-such-conversation", visitor_id="v")
    missing = "/api/v1/webchat/conversations/no-such-conversation/messages"
    error_of(client.get(missing, headers={"X-Webchat-Token": chats.make_token(gone)}), 404, "not_found")
    bad = client.post(mine, json={"client_id": "c1", "text": " "}, headers={"X-Webchat-Token": token})
    assert "text" in error_of(bad, 422, "invalid")["fields"]
    stream = f"/api/v1/webchat/conversations/{conversation.public_id}/stream"
    error_of(client.get(stream, headers={"Accept": "text/event-stream"}), 401, "token_required")


def test_ui_json_fragments(client, login, make_agent, fake_channel):
    ticket = fake_channel.receive("Hello", email="ana@example.net").ticket
    error_of(client.get("/nav/counts", headers=SCRIPT), 401, "unauthorized")
    error_of(client.post(f"/t/{ticket.id}/presence", headers=SCRIPT), 401, "unauthorized")
    login(client, make_agent(role="analyst", password=None))
    error_of(client.get("/nav/counts", headers=SCRIPT), 403, "forbidden")
    login(client, make_agent(role="support", password=None))
    error_of(client.get("/t/424242/messages", headers=SCRIPT), 404, "not_found")
    error = error_of(client.post("/presence", data={"presence": "busy"}, headers=SCRIPT), 400)
    assert error["fields"] == {"presence": [error["message"]]}
    error = error_of(client.post(f"/t/{ticket.id}/messages", data={"text": ""}, headers=SCRIPT), 400, "invalid")
    assert list(error["fields"]) == ["text"]
    stream = client.get("/events/stream?timeout=soon", headers={"Accept": "text/event-stream"})
    assert error_of(stream, 422, "invalid")["fields"] == {"timeout": ["Not a number."]}


def test_browsers_get_pages_not_json(client, login, make_agent):
    assert client.get("/nav/counts").status_code == 302  # to the login form
    login(client, make_agent(role="analyst", password=None))
    page = client.get("/inbox/mine", headers={"Accept": "text/html"})
    assert page.status_code == 403 and page.mimetype == "text/html"
    assert b"Your role does not allow this" in page.data


class TestCsrfAfterRouting:
    @pytest.fixture
    def helpline_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_post_to_a_missing_route_is_404_not_a_csrf_error(self, client, login, make_agent):
        login(client, make_agent(role="support", password=None))
        page = client.post("/no-such-form", data={"x": "1"}, headers={"Accept": "text/html"})
        assert page.status_code == 404 and b"This page does not exist." in page.data
        error_of(client.post("/api/v1/no-such-resource", json={}), 404, "not_found")
        error_of(client.delete("/api/v1/tickets/424242/nothing"), 404, "not_found")
        error_of(client.post("/api/v1/webchat/no-such-thing", json={}), 404, "not_found")

    def test_existing_routes_still_need_the_token(self, client, login, make_agent, fake_channel):
        ticket = fake_channel.receive("Hello", email="ana@example.net").ticket
        login(client, make_agent(role="support", password=None))
        error_of(client.post(f"/t/{ticket.id}/presence", headers=SCRIPT), 400, "csrf_failed")
        page = client.post("/logout", headers={"Accept": "text/html"})  # no require(): Flask-WTF's own check
        assert page.status_code == 400 and b"Form expired" in page.data

    def test_a_missing_credential_on_the_sms_api_is_401_json(self, client):
        # It used to answer Flask-WTF's HTML CSRF page.
        sent = {"phone": "+15550100", "source_type": "flow", "source_id": "welcome"}
        error_of(client.post("/api/v1/sms/sent", json=sent), 401, "unauthorized")

    def test_bearer_tokens_need_no_csrf_token_on_ui_json_endpoints(self, client, token_of, support, fake_channel):
        ticket = fake_channel.receive("Hello", email="ana@example.net").ticket
        answer = client.post(
            f"/t/{ticket.id}/presence", data={"state": "viewing"}, headers={**SCRIPT, **token_of(support)}
        )
        assert answer.status_code == 200 and answer.get_json() == {"ok": True, "state": "viewing"}

    def test_the_widget_needs_no_csrf_token_even_beside_an_agent_session(self, client, login, make_agent, chat):
        # The demo storefront is served by Helpline itself: the widget's
        # requests carry the agent's cookie there, and must still work.
        conversation, token = chat
        login(client, make_agent(role="support", password=None))
        answer = client.post(
            f"/api/v1/webchat/conversations/{conversation.public_id}/messages",
            json={"client_id": "c1", "text": "Hello"},
            headers={"X-Webchat-Token": token},
        )
        assert answer.status_code == 201
