"""Who may revoke which token on the API tokens page: everyone their own,
owners and admins anyone's; others' attempts answer 404 and the token keeps
working. The owners' list of everyone's tokens costs the same queries
however many agents hold tokens."""

import pytest
from playhouse.test_utils import count_queries

from app.auth import create_token


def _works(client, secret):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_only_your_own_token_unless_owner_or_admin(app, client, make_agent, login, role):
    other = make_agent(role="support", name="Other One")
    row, secret = create_token(other, "theirs")
    login(client, make_agent(role=role))
    page = client.get("/account/tokens")
    assert page.status_code == 200 and b"theirs" not in page.data
    assert client.get(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert _works(app.test_client(), secret)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_revoke_anyones_token(app, client, make_agent, login, role):
    row, secret = create_token(make_agent(role="support", name="Other One"), "theirs")
    login(client, make_agent(role=role))
    assert b"theirs" in client.get("/account/tokens").data
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert not _works(app.test_client(), secret)


def test_a_bad_form_names_the_field_and_creates_nothing(client, make_agent, login):
    agent = make_agent()
    login(client, agent)
    page = client.post("/account/tokens", data={"name": "x" * 121, "scope": "admin", "expires_in_days": "0"})
    assert page.status_code == 200
    for field in (b'id="token-name-error"', b'id="token-scope-error"', b'id="token-expiry-error"'):
        assert field in page.data
    assert b"You have no API tokens yet." in page.data


def test_the_owners_list_does_not_grow_queries_with_agents(client, make_agent, login):
    login(client, make_agent(role="owner"))

    def queries():
        with count_queries() as counter:
            assert client.get("/account/tokens").status_code == 200
        return counter.count

    create_token(make_agent(), "one")
    queries()  # the first request of a process also reads what it caches
    few = queries()
    for n in range(5):
        create_token(make_agent(), f"more {n}")
    assert queries() == few
