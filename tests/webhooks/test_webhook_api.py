"""The webhooks JSON API: owners and admins only, the secret shown once,
rotation, the delivery log with keyset pagination, resend and the test
event, and every change in the audit log."""

import pytest

from app.auth import create_token
from app.models import AuditEntry
from app.plugin import get_plugins

API = "/api/v1/webhooks"


@pytest.fixture
def bearer(app):
    def make(agent):
        _, token = create_token(agent, "test")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def admin(make_agent, bearer):
    return bearer(make_agent(role="admin", password=None))


def create(client, headers, url, **body):
    body = {"url": url, "events": ["ticket.created", "ticket.assigned"], **body}
    return client.post(f"{API}/endpoints", json=body, headers=headers)


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_only_owners_and_admins_manage_webhooks(webhooks, client, make_agent, bearer, role, receiver):
    headers = bearer(make_agent(role=role, password=None))
    for method, path in [("GET", "/endpoints"), ("POST", "/endpoints"), ("GET", "/event-types")]:
        answer = client.open(API + path, method=method, headers=headers, json={"url": receiver.url})
        assert answer.status_code == 403, (method, path)
        assert answer.get_json()["error"]["code"] == "forbidden"
    assert client.get(f"{API}/endpoints").status_code == 401


def test_the_secret_is_shown_once_then_masked(webhooks, client, admin, receiver):
    made = create(client, admin, receiver.url, description="CRM")
    assert made.status_code == 201
    endpoint = made.get_json()
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 40
    assert endpoint["secret_hint"] == "whsec_…" + endpoint["secret"][-4:]
    again = client.get(f"{API}/endpoints/{endpoint['id']}", headers=admin).get_json()
    assert "secret" not in again
    assert again["secret_hint"] == endpoint["secret_hint"]
    listed = client.get(f"{API}/endpoints", headers=admin).get_json()["items"]
    assert [e["url"] for e in listed] == [receiver.url]
    assert endpoint["secret"] not in str(listed)


def test_rotating_the_secret_signs_later_deliveries_with_the_new_one(webhooks, client, admin, receiver):
    endpoint = create(client, admin, receiver.url).get_json()
    receiver.secret = endpoint["secret"]
    rotated = client.post(f"{API}/endpoints/{endpoint['id']}/rotate-secret", headers=admin).get_json()
    assert rotated["secret"] != endpoint["secret"]
    test = client.post(f"{API}/endpoints/{endpoint['id']}/test", headers=admin).get_json()
    assert (test["state"], test["status_code"]) == ("failed", 400)  # the receiver still has the old secret
    receiver.secret = rotated["secret"]
    resent = client.post(f"{API}/deliveries/{test['id']}/resend", headers=admin).get_json()
    assert (resent["state"], resent["status_code"], resent["attempts"]) == ("succeeded", 204, 2)
    assert resent["uid"] == test["uid"]


def test_the_test_event_and_the_delivery_log(webhooks, client, admin, receiver, clock):
    endpoint = create(client, admin, receiver.url).get_json()
    receiver.secret = endpoint["secret"]
    uids = []
    for _ in range(3):
        answer = client.post(f"{API}/endpoints/{endpoint['id']}/test", headers=admin)
        assert answer.status_code == 201
        delivery = answer.get_json()
        assert (delivery["event_type"], delivery["state"], delivery["status_code"]) == (
            "webhook.test",
            "succeeded",
            204,
        )
        assert delivery["duration_ms"] >= 0 and delivery["next_attempt_at"] is None
        uids.append(delivery["uid"])
        clock.advance(seconds=1)
    page = client.get(f"{API}/deliveries?endpoint_id={endpoint['id']}&limit=2", headers=admin).get_json()
    assert [d["uid"] for d in page["items"]] == uids[:0:-1]
    rest = client.get(
        f"{API}/deliveries?endpoint_id={endpoint['id']}&limit=2&cursor={page['next_cursor']}", headers=admin
    ).get_json()
    assert [d["uid"] for d in rest["items"]] == uids[:1]
    assert rest["next_cursor"] is None
    detail = client.get(f"{API}/deliveries/{page['items'][0]['id']}", headers=admin).get_json()
    assert detail["body"].encode() == receiver.received[-1][1]
    failed = client.get(f"{API}/deliveries?state=failed", headers=admin).get_json()
    assert failed["items"] == []


def test_changes_are_validated_and_audited(webhooks, client, admin, receiver):
    endpoint = create(client, admin, receiver.url).get_json()
    path = f"{API}/endpoints/{endpoint['id']}"
    changed = client.patch(path, json={"events": ["message.received"], "enabled": False}, headers=admin)
    assert changed.status_code == 200
    assert (changed.get_json()["events"], changed.get_json()["enabled"]) == (["message.received"], False)
    assert client.patch(path, json={"events": ["ticket.exploded"]}, headers=admin).status_code == 422
    assert client.patch(path, json={"events": []}, headers=admin).status_code == 422
    bad = client.patch(path, json={"url": "gopher://example.com"}, headers=admin)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_url"
    assert "url" in bad.get_json()["error"]["fields"]
    assert client.patch(path, json={"description": "x" * 201}, headers=admin).status_code == 422
    client.post(f"{path}/rotate-secret", headers=admin)
    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path, headers=admin).status_code == 404
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id) if e.action.startswith("webhooks.")]
    assert actions == [
        "webhooks.endpoint_created",
        "webhooks.endpoint_changed",
        "webhooks.secret_rotated",
        "webhooks.endpoint_deleted",
    ]
    assert all(endpoint["secret"] not in e.details for e in AuditEntry.select())


def test_event_types_are_listed(webhooks, client, admin):
    names = [t["name"] for t in client.get(f"{API}/event-types", headers=admin).get_json()["items"]]
    assert names == ["message.received", "ticket.assigned", "ticket.created", "ticket.status_changed"]


def test_the_api_is_gone_while_the_plugin_is_off(app, client, admin):
    get_plugins().set_enabled("webhooks", False)
    assert client.get(f"{API}/endpoints", headers=admin).status_code == 404
