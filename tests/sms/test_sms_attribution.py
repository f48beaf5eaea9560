"""Attribution: an inbound SMS within the window after a campaign/flow SMS is
attributed to the last one sent; only the first inbound message after it;
none outside the window. Times come from the injected clock."""

import datetime as dt

import pytest
from sms_kit import CUSTOMER

from app.auth import create_token
from app.hookspecs import hookimpl
from app.models import Message
from plugins.sms.attribution import record_sent


@pytest.fixture
def token(app, make_agent):
    return create_token(make_agent(role="support"), "marketing system")[1]


def _send(sms, token, **body):
    payload = {
        "phone": CUSTOMER,
        "source_type": "campaign",
        "source_id": "bf-2026",
        "source_name": "Black Friday",
        **body,
    }
    return sms.client.post("/api/v1/sms/sent", json=payload, headers={"Authorization": f"Bearer {token}"})


def _attribution(text):
    return Message.get((Message.text == text) & (Message.direction == "inbound")).meta.get("attribution")


def test_the_api_records_sent_sms(sms, token, clock):
    response = _send(sms, token, send_id="send-1")
    assert response.status_code == 201
    body = response.get_json()
    assert body["phone"] == CUSTOMER and body["created"] is True
    assert body["sent_at"] == clock.now().replace(tzinfo=dt.UTC).isoformat(timespec="seconds")
    again = _send(sms, token, send_id="send-1")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]


def test_the_api_needs_a_token_and_valid_input(sms, token, make_agent):
    assert sms.client.post("/api/v1/sms/sent", json={"phone": CUSTOMER}).status_code == 401
    analyst = create_token(make_agent(role="analyst"), "t")[1]
    assert _send(sms, analyst).status_code == 403
    response = _send(sms, token, source_type="blast", source_id="")
    assert response.status_code == 422
    assert {"source_type", "source_id"} <= set(response.get_json()["error"]["fields"])
    response = _send(sms, token, phone="not a phone")
    assert response.status_code == 422 and "phone" in response.get_json()["error"]["fields"]
    bad_json = sms.client.post(
        "/api/v1/sms/sent", data="[1, 2", content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad_json.status_code == 400


def test_reply_at_the_window_edge_is_attributed(sms, token, clock):
    _send(sms, token)
    clock.advance(hours=24)
    sms.inbound("I want the deal")
    attribution = _attribution("I want the deal")
    assert attribution["source_type"] == "campaign" and attribution["source_id"] == "bf-2026"
    assert attribution["source_name"] == "Black Friday"


def test_reply_just_after_the_window_is_not(sms, token, clock):
    _send(sms, token)
    clock.advance(hours=24, seconds=1)
    sms.inbound("Too late")
    assert _attribution("Too late") is None


def test_the_last_sms_received_wins(sms, token, clock):
    _send(sms, token, source_id="campaign-a")
    clock.advance(hours=1)
    _send(sms, token, source_type="flow", source_id="abandoned-cart", source_name="Abandoned cart")
    clock.advance(hours=1)
    sms.inbound("Is the cart still there?")
    attribution = _attribution("Is the cart still there?")
    assert attribution["source_type"] == "flow" and attribution["source_id"] == "abandoned-cart"


def test_only_the_first_reply_is_attributed(sms, token, clock):
    _send(sms, token)
    clock.advance(minutes=5)
    sms.inbound("First")
    clock.advance(minutes=5)
    sms.inbound("Second")
    assert _attribution("First")["source_id"] == "bf-2026"
    assert _attribution("Second") is None


def test_messages_before_the_sms_do_not_use_it_up(sms, token, clock):
    sms.inbound("Before")
    clock.advance(minutes=1)
    _send(sms, token)
    clock.advance(minutes=1)
    sms.inbound("After")
    assert _attribution("Before") is None
    assert _attribution("After")["source_id"] == "bf-2026"


def test_keywords_do_not_use_it_up(sms, token, clock):
    _send(sms, token)
    clock.advance(minutes=1)
    sms.inbound("HELP")
    sms.inbound("Can I still order?")
    assert _attribution("Can I still order?")["source_id"] == "bf-2026"


def test_other_numbers_are_not_attributed(sms, token):
    _send(sms, token)
    sms.inbound("Hi", phone="+15551239999")
    assert _attribution("Hi") is None


def test_configurable_window(sms, token, clock):
    sms.configure(attribution_window_hours=2)
    _send(sms, token, source_id="one")
    clock.advance(hours=2)
    sms.inbound("Edge")
    _send(sms, token, source_id="two")
    clock.advance(hours=2, seconds=1)
    sms.inbound("Late")
    assert _attribution("Edge")["source_id"] == "one"
    assert _attribution("Late") is None


def test_python_entry_with_an_explicit_send_time(sms, clock):
    row, created = record_sent("+1 555 123 0001", "flow", "welcome", sent_at=clock.now() - dt.timedelta(hours=23))
    assert created and row.phone == CUSTOMER
    sms.inbound("Thanks for the welcome")
    assert _attribution("Thanks for the welcome")["source_id"] == "welcome"


def test_the_api_takes_the_send_time_in_any_time_zone(sms, token, clock):
    sent_at = (clock.now() - dt.timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S-02:00")  # 23 h ago in UTC
    body = _send(sms, token, sent_at=sent_at).get_json()
    assert body["sent_at"] == (clock.now() - dt.timedelta(hours=23)).replace(tzinfo=dt.UTC).isoformat(
        timespec="seconds"
    )
    sms.inbound("Still within the window")
    assert _attribution("Still within the window")["source_id"] == "bf-2026"


class MarketingListener:
    def __init__(self):
        self.calls = []

    @hookimpl
    def helpline_on_sms_attributed(self, message, ticket, attribution):
        self.calls.append((message.text, ticket.id, attribution["source_id"]))


def test_the_marketing_system_hears_about_attributed_replies(sms, token, clock, register_plugin):
    listener = register_plugin(MarketingListener(), "marketing-listener")
    _send(sms, token)
    clock.advance(hours=1)
    sms.inbound("Attributed")
    sms.inbound("Not attributed")
    from app.models import Ticket

    assert listener.calls == [("Attributed", Ticket.get().id, "bf-2026")]


def test_the_ticket_page_shows_the_attribution(sms, token, clock, make_agent, login):
    _send(sms, token)
    clock.advance(hours=1)
    sms.inbound("Is the deal still on?")
    message = Message.get(Message.text == "Is the deal still on?")
    login(sms.client, make_agent(role="support"))
    page = sms.client.get(f"/t/{message.ticket_id}").get_data(as_text=True)
    assert "Reply to Black Friday" in page and "(campaign)" in page
