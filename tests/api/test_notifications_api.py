"""/api/v1/notifications: each agent reads and marks only their own
notifications, for every inbox role; other roles are refused."""

import pytest

from app.services.messages import add_note
from app.services.tickets import assign

V = "/api/v1"


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "support"])
def test_own_notifications_listed_and_marked_read(client, as_role, make_agent, ticket, role):
    me, headers = as_role(role)
    other, other_headers = as_role("support")
    boss = make_agent(role="manager", name="Bob Boss", password=None)
    assign(ticket, me, actor=boss)
    note = add_note(ticket, boss, f"@{other.email} have a look")

    answer = client.get(V + "/notifications", headers=headers).get_json()
    assert answer["unread"] == 1 and answer["next_cursor"] is None
    (item,) = answer["items"]
    assert item["kind"] == "assigned" and item["ticket"]["id"] == ticket.id
    assert item["actor"] == {"id": boss.id, "name": "Bob Boss"} and item["read_at"] is None

    theirs = client.get(V + "/notifications", headers=other_headers).get_json()["items"]
    assert [(n["kind"], n["message_id"]) for n in theirs] == [("mention", note.id)]
    # Someone else's notification: not found, and left unread.
    response = client.post(f"{V}/notifications/{theirs[0]['id']}/read", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get(V + "/notifications", headers=other_headers).get_json()["unread"] == 1

    read = client.post(f"{V}/notifications/{item['id']}/read", headers=headers)
    assert read.status_code == 200 and read.get_json()["read_at"] == "2026-01-05T09:00:00+00:00"
    assert client.get(V + "/notifications", headers=headers).get_json()["unread"] == 0
    assert client.post(V + "/notifications/read-all", headers=other_headers).get_json() == {"unread": 0}


@pytest.mark.parametrize("role", ["analyst", "content_creator"])
def test_roles_outside_the_inbox_are_refused(client, as_role, role):
    _, headers = as_role(role)
    response = client.get(V + "/notifications", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert client.get(V + "/notifications").status_code == 401


def test_pages_unread_filter_and_bad_input(client, support, make_agent, fake_channel):
    me, headers = support
    boss = make_agent(role="manager", password=None)
    tickets = [fake_channel.receive(f"Q{i}", email=f"c{i}@example.net").ticket for i in range(3)]
    for t in tickets:
        assign(t, me, actor=boss)
    first = client.get(V + "/notifications?limit=2", headers=headers).get_json()
    assert [n["ticket"]["id"] for n in first["items"]] == [tickets[2].id, tickets[1].id]
    rest = client.get(f"{V}/notifications?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [n["ticket"]["id"] for n in rest["items"]] == [tickets[0].id] and rest["next_cursor"] is None

    client.post(f"{V}/notifications/{first['items'][0]['id']}/read", headers=headers)
    unread = client.get(V + "/notifications?unread=true", headers=headers).get_json()
    assert len(unread["items"]) == 2 and unread["unread"] == 2

    bad = client.get(V + "/notifications?limit=1000", headers=headers)
    assert bad.status_code == 422
    assert "limit" in bad.get_json()["error"]["fields"]


def test_preferences_round_trip_and_validation(client, support):
    _, headers = support
    assert client.get(V + "/notifications/preferences", headers=headers).get_json() == {
        "sound": False,
        "desktop": False,
        "kinds": ["assigned", "mention", "reply"],
    }
    chosen = {"sound": True, "desktop": True, "kinds": ["new_ticket", "mention"]}
    saved = client.put(V + "/notifications/preferences", json=chosen, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json() == {"sound": True, "desktop": True, "kinds": ["mention", "new_ticket"]}
    bad = client.put(V + "/notifications/preferences", json={**chosen, "kinds": ["everything"]}, headers=headers)
    assert bad.status_code == 422 and "kinds" in bad.get_json()["error"]["fields"]
