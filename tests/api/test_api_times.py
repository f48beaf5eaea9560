"""Every time the API answers carries its UTC offset (docs/api.md: "Answers
are in UTC"), the ones inside free-form JSON too: an activity's data, an
automatic action's reason and the audit log's details."""

import datetime as dt

from app.hookspecs import hookimpl
from app.models import Activity
from app.registry import Panel


def aware(text):
    moment = dt.datetime.fromisoformat(text)
    assert moment.utcoffset() == dt.timedelta(0), text
    return moment


def test_a_snooze_activity_says_its_wake_up_time_in_utc(client, support, ticket, clock):
    _, headers = support
    url = f"/api/v1/tickets/{ticket.id}"
    # 11:00 in Madrid's winter is 10:00 UTC.
    until = (clock.now() + dt.timedelta(days=1)).replace(hour=11, minute=0, second=0, microsecond=0)
    body = client.patch(
        url, json={"status": "snoozed", "snoozed_until": until.isoformat() + "+01:00"}, headers=headers
    ).get_json()
    assert body["snoozed_until"] == until.replace(hour=10, tzinfo=dt.UTC).isoformat()
    items = client.get(url + "/activities", headers=headers).get_json()["items"]
    snoozed = next(item for item in items if item["action"] == "snoozed")
    assert snoozed["data"]["until"] == body["snoozed_until"]
    assert aware(snoozed["created_at"])


def test_times_in_a_reason_and_nested_data_get_the_offset_and_other_text_stays(client, support, ticket):
    _, headers = support
    Activity.create(
        ticket=ticket,
        action="clock_armed",
        data={
            "since": "2026-01-05T08:00:00",
            "runs": [{"at": "2026-01-05T08:30:00.250000"}],
            "order": "2026-01-05T08:00:00 was #1001",
            "day": "2026-01-05",
            "sent": "2026-01-05T08:00:00+02:00",
            "why": {"rule": "autoclose", "summary": "Armed.", "inputs": {"replied_at": "2026-01-05T07:59:00"}},
        },
    )
    items = client.get(f"/api/v1/tickets/{ticket.id}/activities", headers=headers).get_json()["items"]
    armed = next(item for item in items if item["action"] == "clock_armed")
    why = armed["data"].pop("why")
    assert armed["data"] == {
        "since": "2026-01-05T08:00:00+00:00",
        "runs": [{"at": "2026-01-05T08:30:00.250000+00:00"}],
        "order": "2026-01-05T08:00:00 was #1001",
        "day": "2026-01-05",
        "sent": "2026-01-05T08:00:00+02:00",
    }
    assert why["inputs"] == armed["reason"]["inputs"] == {"replied_at": "2026-01-05T07:59:00+00:00"}


def test_the_audit_log_shows_a_token_expiry_in_utc(client, as_role):
    _, headers = as_role("owner")
    created = client.post(
        "/api/v1/tokens", json={"name": "dashboard", "scope": "read", "expires_in_days": 90}, headers=headers
    ).get_json()
    entries = client.get("/api/v1/audit?limit=10", headers=headers).get_json()["items"]
    entry = next(item for item in entries if item["details"].get("name") == "dashboard")
    assert entry["action"] == "token.created"
    assert aware(entry["details"]["expires_at"]) == aware(created["expires_at"])


class ShippingPanel(Panel):
    """A third-party panel writing its times three ways."""

    slug = "shipping"
    title = "Shipping"

    def render_data(self, profile):
        return {
            "shipped_at": "2026-01-04T08:00:00",
            "delivered_at": "2026-01-05T08:00:00Z",
            "next_pickup": {"at": dt.datetime(2026, 1, 6, 8, 0)},
            "carrier": "Post",
        }


class ShippingPlugin:
    @hookimpl
    def helpline_register_panels(self):
        return [ShippingPanel]


def test_panels_answer_their_times_with_the_utc_offset(client, support, ticket, register_plugin, make_agent, bearer):
    _, headers = support
    register_plugin(ShippingPlugin(), "shipping")
    order = {"external_id": "W-1", "currency": "EUR", "placed_at": "2026-01-03T10:00:00+01:00", "lines": []}
    posted = client.post(
        f"/api/v1/profiles/{ticket.profile_id}/orders", json=order, headers=bearer(make_agent(role="admin"))
    )
    assert posted.status_code == 201, posted.get_json()
    body = client.get(f"/api/v1/profiles/{ticket.profile_id}", headers=headers).get_json()
    panels = {p["slug"]: p["data"] for p in body["panels"]}
    assert panels["commerce"]["last_order_at"] == "2026-01-03T09:00:00+00:00"
    assert panels["shipping"] == {
        "shipped_at": "2026-01-04T08:00:00+00:00",
        "delivered_at": "2026-01-05T08:00:00+00:00",
        "next_pickup": {"at": "2026-01-06T08:00:00+00:00"},
        "carrier": "Post",
    }
