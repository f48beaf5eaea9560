"""The reports API and page: the role matrix (DESIGN.md §6) per role, the
support agents' own-figures rule, validation, CSV exports."""

import csv
import io

import pytest

from app.auth import create_token
from app.plugins import get_plugins
from app.services import messages, tickets

ROLES = ("owner", "admin", "manager", "support", "analyst", "content_creator")
ENDPOINTS = ("summary", "daily", "channels", "agents", "tags")


def bearer(agent):
    _, token = create_token(agent, "test")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def worked(fake_channel, make_agent, clock):
    """Two agents, each answered and closed one tagged ticket."""
    ada, bob = make_agent(role="support", name="Ada"), make_agent(role="support", name="Bob")
    for agent, minutes in ((ada, 5), (bob, 15)):
        ticket = fake_channel.receive("Help", email=f"{agent.name.lower()}-customer@example.net").ticket
        tickets.assign(ticket, agent)
        tickets.change_tags(ticket, add=["billing"])
        clock.advance(minutes=minutes)
        messages.reply(ticket, agent, "Done")
        tickets.close(ticket, actor=agent)
    return ada, bob


@pytest.mark.parametrize("role", ROLES + (None,))
def test_every_report_endpoint_follows_the_role_matrix(client, make_agent, role, worked):
    headers = bearer(make_agent(role=role)) if role else {}
    for name in ENDPOINTS:
        response = client.get(f"/api/v1/reports/{name}?days=7", headers=headers)
        if role in ("owner", "admin", "manager", "support"):
            assert response.status_code == 200, (name, response.get_json())
        else:
            assert response.status_code == (401 if role is None else 403), name
            assert response.get_json()["error"]["code"] == ("unauthorized" if role is None else "forbidden")


@pytest.mark.parametrize("role", ROLES)
def test_the_page_follows_the_role_matrix(client, login, make_agent, role):
    login(client, make_agent(role=role))
    response = client.get("/reports")
    assert response.status_code == (200 if role in ("owner", "admin", "manager", "support") else 403)
    if response.status_code == 200:
        assert b'href="/reports"' in response.data  # the navigation link


def test_anonymous_page_goes_to_login(client):
    response = client.get("/reports?days=7")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_summary_numbers_and_the_previous_period(client, make_agent, worked):
    body = client.get("/api/v1/reports/summary?days=7", headers=bearer(make_agent(role="manager"))).get_json()
    assert body["current"]["created"] == 2 and body["current"]["closed"] == 2
    assert body["current"]["first_response"] == {"count": 2, "median": 300, "p90": 900, "average": 600}
    assert body["previous"]["created"] == 0
    assert body["meta"]["period"] == {"start": "2025-12-30", "end": "2026-01-05"}
    assert body["meta"]["previous"] == {"start": "2025-12-23", "end": "2025-12-29"}
    assert body["backlog"] == {"open": 0, "snoozed": 0}


def test_support_sees_only_their_own_agent_row_unless_allowed(client, worked):
    ada, bob = worked
    rows = client.get("/api/v1/reports/agents", headers=bearer(ada)).get_json()["rows"]
    assert [r["label"] for r in rows] == ["Ada"]
    response = client.get(f"/api/v1/reports/summary?agent={bob.id}", headers=bearer(ada))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    own = client.get(f"/api/v1/reports/summary?agent={ada.id}", headers=bearer(ada)).get_json()
    assert own["current"]["closed"] == 1

    get_plugins().set_settings("reports", {"support_sees_agents": True})
    rows = client.get("/api/v1/reports/agents", headers=bearer(ada)).get_json()["rows"]
    assert sorted(r["label"] for r in rows) == ["Ada", "Bob"]
    assert client.get(f"/api/v1/reports/summary?agent={bob.id}", headers=bearer(ada)).status_code == 200


def test_managers_compare_agents_and_filter(client, make_agent, worked):
    ada, bob = worked
    headers = bearer(make_agent(role="manager"))
    rows = {r["label"]: r for r in client.get("/api/v1/reports/agents", headers=headers).get_json()["rows"]}
    assert rows["Ada"]["first_response"]["median"] == 300 and rows["Bob"]["first_response"]["median"] == 900
    assert rows["Bob"]["replies"] == 1 and rows["Bob"]["closed"] == 1
    body = client.get(f"/api/v1/reports/tags?agent={bob.id}&channel=fake", headers=headers).get_json()
    assert [(r["key"], r["closed"]) for r in body["rows"]] == [("billing", 1)]
    body = client.get("/api/v1/reports/channels?tag=Billing", headers=headers).get_json()
    assert [(r["key"], r["label"], r["created"]) for r in body["rows"]] == [("fake", "Fake", 2)]
    assert client.get("/api/v1/reports/summary?tag=unknown", headers=headers).get_json()["current"]["created"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("days=5", "days"),
        ("start=2026-01-01", "end"),
        ("start=2026-01-05&end=2026-01-01", "end"),
        ("start=2024-01-01&end=2026-01-01", "end"),
        ("days=7&start=2026-01-01&end=2026-01-02", "days"),
        ("agent=abc", "agent"),
        ("channel=%00", "channel"),
        ("tag=a%00b", "tag"),
        ("tag=" + "x" * 65, "tag"),
        ("start=not-a-date&end=2026-01-01", "start"),
    ],
)
def test_bad_queries_get_field_errors(client, make_agent, query, field):
    response = client.get(f"/api/v1/reports/summary?{query}", headers=bearer(make_agent(role="manager")))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_reports_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for name in ENDPOINTS:
        op = spec["paths"][f"/api/v1/reports/{name}"]["get"]
        assert op["x-permission"] == "reports.read"
        assert {p["name"] for p in op["parameters"]} >= {"days", "start", "end", "channel", "agent", "tag"}


def test_disabled_plugin_answers_404(client, make_agent):
    get_plugins().set_enabled("reports", False)
    assert client.get("/api/v1/reports/summary", headers=bearer(make_agent(role="owner"))).status_code == 404


def test_page_shows_figures_charts_and_csv_exports(client, login, make_agent, worked):
    login(client, make_agent(role="manager"))
    html = client.get("/reports?days=7&tag=billing").get_data(as_text=True)
    main = html.split("<main")[1].split("</main>")[0]
    assert 'id="chart-volume"' in main and 'role="img"' in main and "<script" not in main
    assert 'data-key="billing"' in html and ">Ada<" in html and ">Bob<" in html
    assert "median 5 min" in main  # the nearest-rank median of 5 and 15 minutes is the first
    for table in ("summary", "daily", "channels", "agents", "tags"):
        response = client.get(f"/reports/export/{table}.csv?days=7&tag=billing")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) >= 2, table
    agents = list(csv.DictReader(io.StringIO(client.get("/reports/export/agents.csv?days=7").get_data(as_text=True))))
    assert {r["label"]: r["first_response_median_seconds"] for r in agents} == {"Ada": "300", "Bob": "900"}


def test_page_explains_bad_input(client, login, make_agent):
    login(client, make_agent(role="manager"))
    response = client.get("/reports?start=2026-01-05&end=2026-01-01")
    assert response.status_code == 400
    assert "The end is before the start." in response.get_data(as_text=True)
    assert client.get("/reports/export/agents.csv?days=3").status_code == 400


def test_support_page_hides_other_agents(client, login, worked):
    ada, bob = worked
    login(client, ada)
    html = client.get("/reports?days=7").get_data(as_text=True)
    assert "Your figures" in html and ">Ada<" in html and ">Bob<" not in html
    assert client.get(f"/reports?agent={bob.id}").status_code == 403
    agents = client.get("/reports/export/agents.csv?days=7").get_data(as_text=True)
    assert "Ada" in agents and "Bob" not in agents


@pytest.mark.parametrize("zone", ["Mars/Olympus", "A" * 64, "A" * 300, "America"])
def test_a_bad_report_time_zone_is_a_field_error_through_the_settings_api(client, make_agent, zone):
    owner = make_agent(role="owner")
    response = client.put("/api/v1/settings/reports", json={"timezone": zone}, headers=bearer(owner))
    assert response.status_code == 422, response.get_json()
    assert "timezone" in response.get_json()["error"]["fields"]
