"""Issue 21: auto-close's preview on a scripted history, hand-computed.

The kit's clock is at T0 = 2026-01-05 09:00 when the preview is asked.
Every reply is delivered at once by the fake channel (the clock arms then).

| ticket | history (days before T0) | 2-day period | 1-day period |
|---|---|---|---|
| A | armed -20, silence | closes now; ran out -18 | closes now; ran out -19 |
| B | armed -10, customer -9.04, armed -9 | closes now; 2nd ran out -7 | closes now; 2nd ran out -8 |
| C | armed -1 | not yet | closes now (exact edge); ran out at T0 |
| D | armed -40 | closes now; ran out -38 (before the window) | closes now; ran out -39 (before) |
| E | armed -5, snoozed | closes now; ran out -3 | closes now; ran out -4 |
| F | reply failed to deliver | never armed | never armed |
| H | armed -15, closed by hand -14.5 | closed before the period ended | closed before the period ended |

2 days: would close now A, B, D, E = 4; ran out in the last 30 days A, B, E = 3, per day 3/30 = 0.1.
1 day: would close now A, B, C, D, E = 5; ran out A, B, C, E = 4, per day 4/30 = 0.1 (one decimal).
"""

import datetime as dt

import pytest

from app.registry import DeliveryError
from app.services import messages, tickets

T0 = dt.datetime(2026, 1, 5, 9, 0)


@pytest.fixture
def history(fake_channel, make_agent, clock):
    agent = make_agent(password=None)
    made = {}

    def conversation(name, days_ago, fail=False):
        clock.set(T0 - dt.timedelta(days=days_ago))
        ticket = fake_channel.receive(f"Question from {name}", email=f"{name.lower()}@example.net").ticket
        if fail:
            fake_channel.fail_next.append(DeliveryError("unreachable", retryable=False))
        messages.reply(ticket, agent, f"Answer to {name}")
        made[name] = ticket
        return ticket

    conversation("D", 40)
    conversation("A", 20)
    conversation("H", 15)
    clock.set(T0 - dt.timedelta(days=14, hours=12))
    tickets.close(made["H"], actor=agent)
    b = conversation("B", 10)
    clock.set(T0 - dt.timedelta(days=9, hours=1))
    fake_channel.receive("Still nothing?", email="b@example.net")
    clock.set(T0 - dt.timedelta(days=9))
    messages.reply(b, agent, "It left the warehouse.")
    e = conversation("E", 5)
    tickets.snooze(e, T0 + dt.timedelta(days=30), actor=agent)
    conversation("F", 3, fail=True)
    conversation("C", 1)
    clock.set(T0)
    return made


def ask(client, headers, days=None):
    url = "/api/v1/autoclose/preview" + (f"?inactivity_days={days}" if days else "")
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_preview_numbers_for_two_and_one_days(history, client, api_as, plugins):
    _, headers = api_as("admin")
    two = ask(client, headers)  # the saved period: 2 days (auto-close still off)
    assert (two["inactivity_days"], two["would_close_now"], two["closed_last_30_days"], two["per_day"]) == (
        2,
        4,
        3,
        0.1,
    )
    ids = {name: t.id for name, t in history.items()}
    assert [t["id"] for t in two["sample"]] == [ids["D"], ids["A"], ids["B"], ids["E"]]  # longest waiting first
    assert two["sample"][0]["awaiting_customer_since"] == "2025-11-26T09:00:00+00:00"
    assert {t["status"] for t in two["sample"]} == {"open", "snoozed"}
    one = ask(client, headers, 1)
    assert (one["would_close_now"], one["closed_last_30_days"], one["per_day"]) == (5, 4, 0.1)


def test_preview_changes_nothing_and_matches_what_the_sweep_closes(history, client, api_as, plugins):
    from app.models import Ticket
    from plugins.autoclose.sweep import sweep

    _, headers = api_as("admin")
    before = list(Ticket.select().order_by(Ticket.id).dicts())
    expected = {t["id"] for t in ask(client, headers)["sample"]}
    assert list(Ticket.select().order_by(Ticket.id).dicts()) == before
    plugins.set_enabled("autoclose", True)
    assert set(sweep()) == expected


@pytest.mark.parametrize("role, status", [("owner", 200), ("admin", 200), ("manager", 403), ("support", 403)])
def test_preview_is_for_those_who_may_change_settings(client, api_as, role, status):
    _, headers = api_as(role)
    assert client.get("/api/v1/autoclose/preview", headers=headers).status_code == status


@pytest.mark.parametrize("days", ["0", "91", "two"])
def test_a_bad_period_is_a_field_error(client, api_as, days):
    _, headers = api_as("admin")
    r = client.get(f"/api/v1/autoclose/preview?inactivity_days={days}", headers=headers)
    assert r.status_code == 422
    assert "inactivity_days" in r.get_json()["error"]["fields"]


def test_the_settings_page_shows_the_preview(history, client, login, make_agent):
    login(client, make_agent(role="admin", password=None))
    page = client.get("/settings/plugins/autoclose?preview_days=1").get_data(as_text=True)
    assert "With 1 days, 5 open or snoozed tickets would close now, and about 0.1 per day" in page
    assert f'href="/t/{history["D"].id}"' in page
