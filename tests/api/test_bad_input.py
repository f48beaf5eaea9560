"""Bad input through the real entry points never gives a 5xx: ids past the
database range (paths, bodies, cursors), NUL characters in any text, time
zone names that are not zones, JSON nested too deep, and the small
protocol details (Allow on 405, 413 on a chunked body over the limit)."""

import base64
import io
import json

import pytest

from app.plugin import MAX_BULK

HUGE = 2**70
BIG = 2**40  # fits SQLite's 64-bit integers, not PostgreSQL's 32-bit ids


@pytest.fixture
def owner(as_role):
    return as_role("owner")


def _cursor(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def assert_client_error(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    if response.is_json:
        assert set(response.get_json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("big", [BIG, HUGE])
def test_ids_past_the_range_in_api_paths_bodies_and_cursors(client, owner, ticket, big):
    _, headers = owner
    for method, url, body in [
        ("get", f"/api/v1/tickets/{big}", None),
        ("get", f"/api/v1/agents/{big}", None),
        ("get", f"/api/v1/macros/bulk-apply/{big}", None),
        ("get", f"/api/v1/tickets?assignee={big}", None),
        ("get", f"/api/v1/tickets?profile={big}", None),
        ("post", "/api/v1/tickets/bulk", {"action": "close", "ids": [big]}),
        ("post", "/api/v1/tickets/bulk", {"action": "assign", "ids": [ticket.id], "assignee_id": big}),
        ("patch", f"/api/v1/tickets/{ticket.id}", {"assignee_id": big}),
        ("put", f"/api/v1/tickets/{ticket.id}/read", {"message_id": big}),
        ("post", "/api/v1/macros/bulk-apply", {"macro_id": big, "ticket_ids": [ticket.id]}),
        ("post", "/api/v1/macros/bulk-apply", {"macro_id": 1, "ticket_ids": [big]}),
        ("post", "/api/v1/views", {"name": "Big", "filters": {"profile": big}}),
        ("post", "/api/v1/views", {"name": "Big", "filters": {"assignee": str(big)}}),
    ]:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert_client_error(response, 404, 422)


@pytest.mark.parametrize("big", [BIG, HUGE])
def test_tampered_cursors_with_huge_ids(client, owner, ticket, big):
    _, headers = owner
    tickets = _cursor({"s": "updated", "o": "desc", "v": "2026-01-01T00:00:00", "i": big})
    assert_client_error(client.get(f"/api/v1/tickets?view=all&cursor={tickets}", headers=headers), 400, 422)
    macros = _cursor(["a", big])
    assert_client_error(client.get(f"/api/v1/macros?cursor={macros}", headers=headers), 400, 422)
    response = client.get(f"/inbox/all/rows?cursor={tickets}", headers={**headers, "Accept": "application/json"})
    assert_client_error(response, 400, 422)


@pytest.mark.parametrize("big", [BIG, HUGE])
def test_ids_past_the_range_in_ui_paths_and_forms(client, login, make_agent, ticket, big):
    login(client, make_agent(role="owner", password=None))
    for method, url, form in [
        ("post", f"/views/{big}/delete", {}),
        ("post", f"/settings/agents/{big}", {"role": "support"}),
        ("get", f"/attachments/{big}/key", None),
        ("get", f"/macros/{big}", None),
        ("post", f"/macros/{big}/delete", {}),
        ("post", f"/t/{ticket.id}/identities/{big}/verify", {}),
        ("post", "/inbox/bulk", {"ids": [str(big)], "action": "close"}),
        ("post", "/inbox/bulk", {"ids": [str(ticket.id)], "action": "assign", "assignee_id": str(big)}),
        ("get", f"/inbox/all?profile={big}", None),
        ("get", f"/inbox/all?assignee={big}", None),
    ]:
        response = getattr(client, method)(url, data=form)
        assert response.status_code < 500, (url, response.status_code)
        assert response.status_code in (200, 302, 303, 404, 422), (url, response.status_code)


def test_nul_characters_are_refused_with_a_field_message(client, owner, ticket, app):
    _, headers = owner
    for method, url, body in [
        ("post", "/api/v1/views", {"name": "a\x00b", "filters": {}}),
        ("post", f"/api/v1/tickets/{ticket.id}/messages", {"kind": "note", "text": "x\x00"}),
        ("patch", f"/api/v1/tickets/{ticket.id}", {"tags": ["t\x00"]}),
        ("post", "/api/v1/macros", {"name": "m\x00", "body": "hi"}),
        ("post", "/api/v1/agents", {"email": "a@example.net", "name": "N\x00", "role": "support"}),
        ("post", "/api/v1/tickets/bulk", {"action": "tag", "ids": [ticket.id], "tags": ["\x00"]}),
    ]:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 422, (url, response.status_code, response.get_data(as_text=True)[:300])
        assert response.get_json()["error"]["fields"], url
    response = client.get("/api/v1/tickets?view=all&tag=a%00b", headers=headers)
    assert response.status_code == 422
    assert "tag" in response.get_json()["error"]["fields"]


def test_nul_characters_on_unauthenticated_entries(client, app):
    from tests.webchat.conftest import SITE_KEY

    app.extensions["helpline.plugins"].set_settings("webchat", {"site_keys": [SITE_KEY]})
    response = client.post("/api/v1/session", json={"email": "a\x00@example.net", "password": "x"})
    assert response.status_code == 422 and "email" in response.get_json()["error"]["fields"]
    response = client.post("/login", data={"email": "a\x00@example.net", "password": "x"})
    assert response.status_code in (400, 422)
    response = client.post("/api/v1/webchat/conversations", json={"site_key": SITE_KEY, "name": "A\x00da"})
    assert response.status_code == 422 and "name" in response.get_json()["error"]["fields"]


def test_ui_form_fields_with_nul_are_refused(client, login, make_agent, ticket):
    login(client, make_agent(role="owner", password=None))
    response = client.post(
        f"/t/{ticket.id}/messages", data={"kind": "note", "text": "x\x00"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    assert "text" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("zone", ["A" * 64, "America", "../../etc/passwd", "Europe/Nowhere", "UTC\x00"])
def test_time_zone_names_are_checked(client, owner, zone):
    agent, headers = owner
    response = client.patch(f"/api/v1/agents/{agent.id}", json={"timezone": zone}, headers=headers)
    assert response.status_code == 422 and "timezone" in response.get_json()["error"]["fields"]
    response = client.post(
        "/api/v1/agents",
        json={"email": "z@example.net", "name": "Z", "role": "support", "timezone": zone},
        headers=headers,
    )
    assert response.status_code == 422


def test_a_real_time_zone_is_accepted(client, owner):
    agent, headers = owner
    response = client.patch(f"/api/v1/agents/{agent.id}", json={"timezone": "Europe/Madrid"}, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/session", "/api/v1/webchat/conversations", "/api/v1/tickets/bulk"])
def test_json_nested_too_deep_is_a_400(client, owner, url):
    _, headers = owner
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(url, data=deep, content_type="application/json", headers=headers)
    assert response.status_code in (400, 413)  # some entries take smaller bodies than this
    assert response.get_json()["error"]["code"] in ("bad_request", "too_large")
    deep = "[" * 1000 + "]" * 1000
    response = client.post(url, data=deep, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    nested = '{"a":' * 100 + "1" + "}" * 100
    response = client.post(url, data=nested, content_type="application/json", headers=headers)
    assert response.status_code == 400


def test_ordinary_nesting_still_parses(client, owner, ticket):
    _, headers = owner
    response = client.post(
        "/api/v1/tickets/bulk",
        json={"action": "close", "ids": [ticket.id], "filters": {"status": ["open"]}},
        headers=headers,
    )
    assert response.status_code < 300


def test_405_answers_name_the_allowed_methods(client, owner):
    _, headers = owner
    response = client.put("/api/v1/tickets", headers=headers)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    response = client.put("/api/v1/macros", headers=headers)
    assert response.status_code == 405 and "Allow" in response.headers


def test_a_chunked_body_over_the_limit_is_413(client, owner, ticket):
    _, headers = owner

    def chunks():
        yield b'{"kind": "note", "text": "'
        for _ in range(3000):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        input_stream=io.BytesIO(b"".join(chunks())),
        headers={**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        # What gunicorn and werkzeug's server set for a chunked body they de-chunk.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_bulk_size_is_bounded(client, owner):
    _, headers = owner
    response = client.post(
        "/api/v1/tickets/bulk", json={"action": "close", "ids": list(range(1, MAX_BULK + 2))}, headers=headers
    )
    assert response.status_code == 422


def test_macro_times_carry_their_utc_offset(client, owner):
    _, headers = owner
    made = client.post("/api/v1/macros", json={"name": "Thanks", "body": "Thank you!"}, headers=headers)
    assert made.status_code == 201
    listed = client.get("/api/v1/macros", headers=headers).get_json()["items"][0]
    for key in ("created_at", "updated_at"):
        assert made.get_json()[key].endswith("+00:00"), made.get_json()[key]
        assert listed[key].endswith("+00:00")


def test_a_second_partial_save_of_sms_settings_keeps_working(client, owner):
    # The account SID was never set: its empty default must not be stored
    # and then refused by its own validator on the next save.
    _, headers = owner
    for enabled in (True, False):
        response = client.put("/api/v1/settings/sms", json={"email_alert_enabled": enabled}, headers=headers)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["settings"]["email_alert_enabled"] is enabled
