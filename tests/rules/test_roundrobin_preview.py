"""Issue 21: round-robin's preview: who is online and how the Unassigned
backlog would be spread (hand-computed), read-only."""

import pytest

from app.models import Ticket
from app.services import agents as agent_service
from plugins.roundrobin.rotation import assign_backlog


@pytest.fixture
def team(make_agent, fake_channel, clock):
    """Ann (2 open tickets, assigned by hand), Bob and Cy online, Dee away;
    23 tickets wait in Unassigned. The rule is still off."""
    ann, bob, cy, dee = (make_agent(name=n, password=None) for n in ("Ann", "Bob", "Cy", "Dee"))
    made = []
    for n in range(25):
        clock.advance(seconds=1)
        made.append(fake_channel.receive(f"Question {n}", email=f"b{n}@example.net").ticket)
    from app.services import tickets

    tickets.assign(made[0], ann, actor=ann)
    tickets.assign(made[1], ann, actor=ann)
    for agent in (ann, bob, cy):
        agent_service.set_presence(agent, "online")
    agent_service.set_presence(dee, "away")
    return ann, bob, cy, dee


def preview(client, headers):
    r = client.get("/api/v1/roundrobin/preview", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_spread_with_the_default_cap(team, client, api_as):
    ann, bob, cy, _ = team
    _, headers = api_as("admin")
    body = preview(client, headers)
    # Next in turn: never-assigned Bob and Cy (by id), then Ann (assigned by hand).
    assert [(a["name"], a["open_tickets"], a["room"]) for a in body["online"]] == [
        ("Bob", 0, 10),
        ("Cy", 0, 10),
        ("Ann", 2, 8),
    ]
    assert body["waiting"] == 23 and body["cap"] == 10
    # One each in turn: Bob 8, Cy 8, Ann 7 would be 23, within everyone's room.
    assert [(s["name"], s["gets"]) for s in body["spread"]] == [("Bob", 8), ("Cy", 8), ("Ann", 7)]
    assert body["left_waiting"] == 0


def test_spread_within_a_small_cap_and_without_one(team, client, api_as, plugins):
    _, headers = api_as("owner")
    plugins.set_settings("roundrobin", {"max_open_per_agent": 3})
    body = preview(client, headers)
    assert [(s["name"], s["gets"]) for s in body["spread"]] == [("Bob", 3), ("Cy", 3), ("Ann", 1)]
    assert body["left_waiting"] == 16
    plugins.set_settings("roundrobin", {"max_open_per_agent": 0})
    body = preview(client, headers)
    assert [(s["name"], s["gets"]) for s in body["spread"]] == [("Bob", 8), ("Cy", 8), ("Ann", 7)]
    assert [a["room"] for a in body["online"]] == [None, None, None]


def test_the_preview_is_what_the_rule_then_does(team, client, api_as, plugins):
    _, headers = api_as("admin")
    plugins.set_settings("roundrobin", {"max_open_per_agent": 3})
    expected = {s["id"]: s["gets"] for s in preview(client, headers)["spread"]}
    assert Ticket.select().where(Ticket.assignee.is_null()).count() == 23  # the preview changed nothing
    plugins.set_enabled("roundrobin", True)
    assign_backlog()
    for agent in team[:3]:
        held = Ticket.select().where(Ticket.assignee == agent.id).count()
        assert held - (2 if agent.name == "Ann" else 0) == expected[agent.id]


@pytest.mark.parametrize("role, status", [("admin", 200), ("manager", 403), ("support", 403)])
def test_preview_is_for_settings_roles(client, api_as, role, status):
    _, headers = api_as(role)
    assert client.get("/api/v1/roundrobin/preview", headers=headers).status_code == status


def test_the_settings_page_shows_the_spread(team, client, login, make_agent):
    login(client, make_agent(role="admin", password=None))
    page = client.get("/settings/plugins/roundrobin").get_data(as_text=True)
    assert "3 agents online in the rotation now; 23 tickets wait in Unassigned." in page
    assert "<tr><td>Bob</td><td>0</td><td>8</td></tr>" in page
