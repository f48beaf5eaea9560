"""Ids in paths are bounded to the database's integer range: an id no row
can have is a plain 404, never a database error (SQLite refuses integers
beyond 64 bits; PostgreSQL's integer columns end at 2**31 - 1)."""

import pytest

HUGE = 2**63  # one past SQLite's largest integer
PAST = 2**31  # one past PostgreSQL's integer columns

PAGES = [
    "/t/{id}",
    "/t/{id}/messages",
    "/t/1/messages/{id}",
    "/t/{id}/sidebar",
    "/attachments/{id}/key",
    "/macros/{id}",
    "/customers/{id}/orders",
    "/orders/{id}/edit",
]
API = ["/api/v1/macros/{id}", "/api/v1/macros/bulk-apply/{id}", "/api/v1/tickets/{id}"]


@pytest.fixture
def owner_client(client, login, make_agent):
    return login(client, make_agent(role="owner"))


@pytest.mark.parametrize("number", [HUGE, PAST, 0])
@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_404_for_ids_no_row_can_have(owner_client, path, number):
    answer = owner_client.get(path.format(id=number))
    assert answer.status_code == 404
    assert b"This page does not exist." in answer.data


@pytest.mark.parametrize("number", [HUGE, PAST, 0])
@pytest.mark.parametrize("path", API)
def test_the_api_answers_404_for_ids_no_row_can_have(owner_client, path, number):
    answer = owner_client.get(path.format(id=number))
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_unsafe_requests_with_huge_ids_are_refused_by_routing(owner_client):
    assert owner_client.post(f"/t/{HUGE}/status", data={"status": "closed"}).status_code == 404
    # Werkzeug answers 405 when another method's rule has the same shape
    # (GET /api/v1/macros/<id> beside DELETE): still a client error, no query.
    answer = owner_client.delete(f"/api/v1/macros/{HUGE}")
    assert answer.status_code in (404, 405) and answer.get_json()["error"]["code"] in (
        "not_found",
        "method_not_allowed",
    )
