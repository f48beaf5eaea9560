"""The error contract: one JSON shape, statuses that mean what they say."""

import pytest


def test_unknown_fields_are_rejected_by_name(client, support, ticket):
    _, headers = support
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"status": "closed", "priority": "high"}, headers=headers
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert error["fields"] == {"priority": ["Unknown field."]}


def test_validation_messages_name_the_field(client, support):
    _, headers = support
    response = client.get("/api/v1/tickets?limit=1000&sort=size", headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"limit", "sort"}


@pytest.mark.parametrize(
    "body,content_type",
    [
        ("kind=note&text=hi", "application/x-www-form-urlencoded"),  # curl -d without -H
        ('{"kind": "note", "text": "hi"}', "text/plain"),
    ],
)
def test_a_body_that_is_not_json_is_a_clear_400(client, support, ticket, body, content_type):
    # docs/api.md: 400 for "a body that is not JSON". Read as no body, it
    # answered 422 "Missing data for required field" for fields it did send.
    _, headers = support
    url = f"/api/v1/tickets/{ticket.id}/messages"
    response = client.post(url, data=body, headers=headers, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["fields"] == {"_schema": ["Send the body as JSON, with the header Content-Type: application/json."]}
    assert client.get(url, headers=headers).get_json()["items"][-1]["kind"] == "message"  # nothing was made
    response = client.post(url, data=body, headers=headers, content_type="application/json; charset=utf-8")
    assert response.status_code == (201 if content_type == "text/plain" else 400)
    # Who may ask comes first: without credentials it is still 401.
    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_operations_without_a_json_body_ignore_the_content_type(client, support, ticket):
    _, headers = support
    response = client.get(
        f"/api/v1/tickets/{ticket.id}/messages", data="x=1", headers=headers, content_type="text/plain"
    )
    assert response.status_code == 200
    response = client.post(
        "/api/v1/notifications/read-all", data="x", headers=headers, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.get_json() == {"unread": 0}


@pytest.fixture
def helpline_config():
    return {"API_MAX_CONTENT_LENGTH": 4096}


def test_bodies_are_bounded(client, support, ticket):
    _, headers = support
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "note", "text": "x" * 5000}, headers=headers
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_unknown_paths_and_methods_answer_json(client, support):
    _, headers = support
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.put("/api/v1/tickets", headers=headers)
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/tickets/424242", headers=headers).get_json()["error"]["code"] == "not_found"


def test_a_script_with_a_token_gets_json_errors_outside_the_api_too(client, support, fake_channel, login):
    # docs/api.md lists /attachments/... and /events/stream beside the API:
    # "their errors still have the body above". curl sends Accept: */*.
    agent, headers = support
    message = fake_channel.receive("Hello", email="ana@example.net").message
    response = client.get(f"/attachments/{message.id}/no-such-key", headers={**headers, "Accept": "*/*"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    login(client, agent)  # the same agent in a browser still gets a page
    response = client.get(f"/attachments/{message.id}/no-such-key", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404 and not response.is_json


def test_ui_paths_keep_flask_answers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"/api/v1/openapi.json" in page.data
