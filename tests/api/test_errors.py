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


def test_non_json_body_is_a_clear_422(client, support, ticket):
    _, headers = support
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        data="kind=note&text=hi",
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"kind", "text"}


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
