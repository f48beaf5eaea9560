"""The audit log: services write who changed what, when and from where;
only owners read it (page and API), newest first, keyset-paginated."""

import pytest
from playhouse.test_utils import assert_query_count

from app.auth import create_token
from app.models import AuditEntry
from app.plugin import get_plugins


def _headers(agent):
    _, token = create_token(agent, "audit test")
    return {"Authorization": f"Bearer {token}"}


def test_changes_through_the_api_are_recorded_with_actor_and_address(client, make_agent):
    owner = make_agent(role="owner", password=None)
    headers = {**_headers(owner)}
    env = {"REMOTE_ADDR": "198.51.100.9"}
    agent_id = client.post(
        "/api/v1/agents", json={"email": "new@example.com", "role": "support"}, headers=headers, environ_base=env
    ).get_json()["id"]
    client.patch(f"/api/v1/agents/{agent_id}", json={"role": "manager"}, headers=headers, environ_base=env)
    client.patch(f"/api/v1/agents/{agent_id}", json={"is_active": False}, headers=headers, environ_base=env)
    client.put("/api/v1/settings/email", json={"smtp_password": "pw-123456"}, headers=headers, environ_base=env)
    client.post("/api/v1/plugins/macros/disable", headers=headers, environ_base=env)
    token_id = client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers).get_json()["id"]
    client.delete(f"/api/v1/tokens/{token_id}", headers=headers)

    page = client.get("/api/v1/audit", headers=headers).get_json()
    actions = [e["action"] for e in page["items"]]
    assert actions[:7] == [
        "token.revoked",
        "token.created",
        "plugin.disabled",
        "settings.changed",
        "agent.deactivated",
        "agent.role_changed",
        "agent.created",
    ]
    by_action = {e["action"]: e for e in page["items"]}
    role = by_action["agent.role_changed"]
    assert role["actor"]["id"] == owner.id and role["target"] == "new@example.com"
    assert role["details"] == {"role": ["support", "manager"]} and role["ip"] == "198.51.100.9"
    assert role["at"].endswith("Z") or "+00:00" in role["at"]
    settings = by_action["settings.changed"]
    assert settings["target"] == "email" and settings["details"]["changed"]["smtp_password"] == "(changed)"
    assert "pw-123456" not in str(page)
    assert by_action["plugin.disabled"]["target"] == "macros"


@pytest.mark.parametrize("role", ["admin", "manager", "support", "analyst"])
def test_only_owners_read_the_audit_log(client, make_agent, login, role):
    agent = make_agent(role=role, password=None)
    assert client.get("/api/v1/audit", headers=_headers(agent)).status_code == 403
    login(client, agent)
    assert client.get("/settings/audit").status_code == 403


def test_the_api_pages_with_a_cursor_in_constant_queries(client, make_agent):
    owner = make_agent(role="owner", password=None)
    headers = _headers(owner)
    for n in range(7):
        get_plugins().set_settings("email", {"from_name": f"Team {n}"})
    seen, cursor = [], None
    while True:
        url = "/api/v1/audit?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ids = [e.id for e in AuditEntry.select().order_by(AuditEntry.id.desc())]
    assert seen == ids and len(ids) >= 8
    from app.services import audit

    with assert_query_count(1):
        rows, _ = audit.entries(limit=50)
        [row.actor.name if row.actor else None for row in rows]
    bad = client.get("/api/v1/audit?cursor=99999999999999999999", headers=headers)
    assert bad.status_code == 422


def test_owners_see_the_audit_page(client, make_agent, login):
    owner = make_agent(role="owner")
    admin = make_agent(role="admin", email="adam@example.com")
    login(client, owner)
    client.post(f"/settings/agents/{admin.id}", data={"role": "manager"})
    page = client.get("/settings/audit")
    assert page.status_code == 200
    assert b'data-audit="agent.role_changed"' in page.data and b"adam@example.com" in page.data
    assert b"Audit log" in client.get("/settings").data
