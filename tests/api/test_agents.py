"""Agents, roles and the owner rules; /me and presence."""

import pytest
from playhouse.test_utils import count_queries

from app.models import Agent, ApiToken, Ticket
from app.services import Conflict
from app.services import agents as agent_service
from app.services import tickets as ticket_service


def test_admin_creates_and_changes_agents(client, as_role):
    _, headers = as_role("admin")
    created = client.post(
        "/api/v1/agents", json={"email": "New@Example.com", "name": "Nia", "role": "manager"}, headers=headers
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["email"] == "new@example.com" and body["role"] == "manager"
    assert "password" not in body and "password_hash" not in body
    duplicate = client.post("/api/v1/agents", json={"email": "new@example.com"}, headers=headers)
    assert duplicate.status_code == 400 and duplicate.get_json()["error"]["fields"]["email"]
    changed = client.patch(
        f"/api/v1/agents/{body['id']}", json={"role": "support", "timezone": "Europe/Madrid"}, headers=headers
    ).get_json()
    assert changed["role"] == "support" and changed["timezone"] == "Europe/Madrid"
    bad = client.patch(
        f"/api/v1/agents/{body['id']}", json={"role": "wizard", "timezone": "Mars/Base"}, headers=headers
    )
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"role", "timezone"}


def test_only_an_owner_makes_or_changes_an_owner(client, as_role):
    _, admin = as_role("admin")
    owner, owner_headers = as_role("owner")
    support, _ = as_role("support")
    refused = client.post("/api/v1/agents", json={"email": "boss@example.com", "role": "owner"}, headers=admin)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "owner_only"
    assert client.patch(f"/api/v1/agents/{support.id}", json={"role": "owner"}, headers=admin).status_code == 403
    assert client.patch(f"/api/v1/agents/{owner.id}", json={"role": "support"}, headers=admin).status_code == 403
    assert client.delete(f"/api/v1/agents/{owner.id}", headers=admin).status_code == 403
    promoted = client.patch(f"/api/v1/agents/{support.id}", json={"role": "owner"}, headers=owner_headers)
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "owner"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_nobody_changes_their_own_role_or_deactivates_or_removes_themselves(client, as_role, role):
    me, headers = as_role(role)
    as_role("owner")  # another owner: the last-owner rule is not what refuses
    url = f"/api/v1/agents/{me.id}"
    for response in (
        client.patch(url, json={"role": "support"}, headers=headers),
        client.patch(url, json={"is_active": False}, headers=headers),
        client.delete(url, headers=headers),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "self_change"
    kept = Agent.get_by_id(me.id)
    assert kept.role == role and kept.is_active
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # Their own name and time zone remain theirs to change.
    renamed = client.patch(url, json={"name": "Renamed", "role": role}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Renamed"


def test_the_last_owner_stays_whoever_asks(as_role):
    owner, _ = as_role("owner")
    other_owner, _ = as_role("owner")
    agent_service.update_agent(owner, other_owner, {"is_active": False})
    with pytest.raises(Conflict) as refused:
        # Only the CLI or a script acts as someone on another: the service still keeps an owner.
        agent_service.check_owner_rules(other_owner, owner, deactivating=True)
    assert refused.value.code == "last_owner"
    assert Agent.get_by_id(owner.id).is_active


def test_delete_removes_a_fresh_agent_and_deactivates_one_with_history(client, as_role, ticket):
    _, headers = as_role("admin")
    fresh, _ = as_role("support")
    busy, busy_headers = as_role("support")
    ticket_service.assign(ticket, busy)
    assert client.delete(f"/api/v1/agents/{fresh.id}", headers=headers).status_code == 204
    assert Agent.get_or_none(Agent.id == fresh.id) is None
    assert client.delete(f"/api/v1/agents/{busy.id}", headers=headers).status_code == 204
    kept = Agent.get_by_id(busy.id)
    assert kept.is_active is False
    assert Ticket.get_by_id(ticket.id).assignee_id is None  # back to Unassigned
    assert not ApiToken.select().where((ApiToken.agent == busy.id) & ApiToken.revoked_at.is_null()).exists()
    assert client.get("/api/v1/me", headers=busy_headers).status_code == 401


def test_me_counts_unread_per_view_and_sets_presence(client, as_role, fake_channel, ticket):
    agent, headers = as_role("support")
    fake_channel.receive("Second customer", email="ben@example.net")
    ticket_service.assign(ticket, agent)
    view = client.post("/api/v1/views", json={"name": "Ben", "filters": {"text": "ben@"}}, headers=headers)
    assert view.status_code == 201
    client.post("/api/v1/views", json={"name": "Open", "filters": {"status": ["open"]}}, headers=headers)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["unread"] == {
        "mine": 1,
        "unassigned": 1,
        "all": 2,
        str(view.get_json()["id"]): 1,
        str(view.get_json()["id"] + 1): 2,
    }
    # The counts of every view come in one query, however many views there are.
    client.post("/api/v1/views", json={"name": "SMS", "filters": {"channel": ["sms"]}}, headers=headers)
    with count_queries() as counted:
        assert len(client.get("/api/v1/me", headers=headers).get_json()["unread"]) == 6
    assert len([q for q in counted.get_queries() if "COUNT(" in q.msg[0]]) == 1
    assert me["unread_badge"] is True and [v["name"] for v in me["views"]] == ["Ben", "Open"]
    assert client.put(f"/api/v1/tickets/{ticket.id}/read", json={}, headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).get_json()["unread"]["mine"] == 0
    away = client.put("/api/v1/me/presence", json={"presence": "away"}, headers=headers)
    assert away.status_code == 200 and away.get_json()["presence"] == "away"
    assert client.put("/api/v1/me/presence", json={"presence": "asleep"}, headers=headers).status_code == 422


def test_analyst_sees_me_but_not_the_inbox(client, as_role):
    _, headers = as_role("analyst")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["unread"] == {} and me["permissions"] == []
    assert client.get("/api/v1/tickets", headers=headers).status_code == 403


def test_me_counts_unread_of_all_up_to_the_cap(client, as_role, fake_channel):
    from app.services.views import COUNT_CAP

    agent, headers = as_role("support")
    profile = fake_channel.receive("First", email="first@example.net").ticket.profile_id
    # More unread unassigned tickets than the cap: All stops there, Unassigned stays exact.
    last = Ticket.select().order_by(Ticket.id.desc()).get().last_inbound_message_id
    Ticket.insert_many(
        [
            {"channel": "fake", "thread_key": f"k{i}", "profile": profile, "last_inbound_message_id": last}
            for i in range(COUNT_CAP + 4)
        ]
    ).execute()
    unread = client.get("/api/v1/me", headers=headers).get_json()["unread"]
    assert unread == {"mine": 0, "unassigned": COUNT_CAP + 5, "all": COUNT_CAP}
