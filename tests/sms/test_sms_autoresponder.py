"""The autoresponder answers senders without SMS consent, at most once per
sender per window, and is not an agent reply."""

import datetime as dt
import re

from sms_kit import CUSTOMER

from app.models import Message, Ticket

DEFAULT_TEXT = (
    "AcmeShop: We can't reply because you haven't consented to receive SMS. For help, contact us at care@acme.example."
)


def _notices(ticket):
    return [m for m in ticket.messages.order_by(Message.id) if m.kind == "notice"]


def test_non_consented_sender_gets_the_default_text(sms):
    sms.set_core(sms_prefix="AcmeShop", support_email="care@acme.example")
    sms.inbound("Where is my order?")
    [sent] = sms.twilio.sent
    assert sent["To"] == CUSTOMER and sent["Body"] == DEFAULT_TEXT
    ticket = Ticket.get()
    [notice] = _notices(ticket)
    assert DEFAULT_TEXT in notice.text and notice.author_type == "system"


def test_the_autoresponder_is_not_an_agent_reply(sms):
    sms.inbound("Where is my order?")
    ticket = Ticket.get()
    assert len(sms.twilio.sent) == 1
    # No auto-close clock, no first response, nothing queued in the outbox.
    assert ticket.awaiting_customer_since is None and ticket.first_response_at is None
    assert not [m for m in ticket.messages if m.kind == "message" and m.direction == "outbound"]


def test_loop_guard_once_per_sender_per_window(sms, clock):
    sms.configure(autoresponder_window_hours=6)
    sms.inbound("One")
    clock.advance(hours=5, minutes=59, seconds=59)
    sms.inbound("Two")
    assert len(sms.twilio.sent) == 1
    clock.advance(seconds=1)  # exactly one window after the last automatic reply
    sms.inbound("Three")
    assert len(sms.twilio.sent) == 2
    sms.inbound("Another number", phone="+15551239999")
    assert len(sms.twilio.sent) == 3


def test_consented_senders_get_no_autoresponse(sms):
    sms.inbound("START")
    sms.inbound("Where is my order?")
    assert sms.twilio.sent == []
    assert _notices(Ticket.get()) == []


def test_autoresponder_can_be_turned_off(sms):
    sms.configure(autoresponder_enabled=False)
    sms.inbound("Hello")
    assert sms.twilio.sent == []


def test_custom_template(sms):
    sms.set_core(sms_prefix="Acme", support_email="care@acme.example")
    sms.configure(autoresponder_template="{{ organization_prefix }} here. Email {{ email }} please.")
    sms.inbound("Hello")
    assert sms.twilio.sent[0]["Body"] == "Acme here. Email care@acme.example please."


def test_a_failed_autoresponse_is_shown_on_the_ticket(sms):
    sms.twilio.fail(400)
    sms.inbound("Hello")
    [notice] = _notices(Ticket.get())
    assert "could not be sent" in notice.text


def test_a_number_that_texted_stop_never_gets_anything_automatic(sms, clock, client, login, make_agent):
    stopped_at = clock.now()
    sms.inbound("STOP")
    clock.advance(days=3)  # long past any loop-guard window
    sms.inbound("Where is my order?")
    clock.advance(days=3)
    sms.inbound("Hello?")
    assert sms.twilio.sent == []
    sms.inbound("HELP")  # what the customer asks for is still answered (carriers require it)
    [help_reply] = sms.twilio.sent
    assert help_reply["Body"].endswith("Reply STOP to unsubscribe.")
    ticket = Ticket.get()
    assert not _notices(ticket)
    # The profile shows the state and its history, in the UI and the API.
    login(client, make_agent(role="support", password=None))
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "SMS consent" in page and "Opted out" in page and "texted STOP: opted out" in page
    panels = client.get(f"/api/v1/profiles/{ticket.profile_id}").get_json()["panels"]
    [panel] = [p for p in panels if p["slug"] == "sms_consent"]
    assert panel["slug"] == "sms_consent" and panel["data"]["state"] == "opted_out"
    assert [h["keyword"] for h in panel["data"]["history"]] == ["HELP", "STOP"]
    assert panel["data"]["history"][1]["received_at"] == stopped_at.replace(tzinfo=dt.UTC).isoformat()


def test_consent_states_are_distinct(sms, client, login, make_agent):
    def state():
        body = client.get(f"/api/v1/profiles/{sms.profile().id}").get_json()
        return [p["data"]["state"] for p in body["panels"] if p["slug"] == "sms_consent"][0]

    login(client, make_agent(role="support", password=None))
    sms.inbound("Hi")
    assert state() == "never_asked" and len(sms.twilio.sent) == 1
    sms.inbound("START")
    assert state() == "opted_in"
    sms.inbound("STOP")
    assert state() == "opted_out"
    sms.inbound("UNSTOP")
    assert state() == "opted_in"


def test_the_autoresponse_says_why_in_the_thread_and_the_activity(sms):
    """Issue 21: the notice and the ``auto_replied`` activity entry carry the
    same reason (which rule, its window, a link to the SMS settings)."""
    from app.models import Activity
    from app.services.reasons import of

    sms.configure(autoresponder_window_hours=6)
    sms.inbound("Where is my order?")
    ticket = Ticket.get()
    [notice] = _notices(ticket)
    [entry] = Activity.select().where((Activity.ticket == ticket.id) & (Activity.action == "auto_replied"))
    assert (
        of(notice)
        == of(entry)
        == {
            "rule": "sms.autoresponder",
            "summary": "SMS autoresponder: the sender has not consented to SMS, so the autoresponder answered "
            "(at most once every 6 hours).",
            "inputs": {"kind": "autoresponder", "window_hours": 6},
            "settings_url": "/settings/plugins/sms",
        }
    )
    assert entry.actor_id is None and entry.data["message_id"] == notice.id


def test_the_consent_history_is_shown_in_the_agents_time_zone(sms, clock, client, login, make_agent):
    sms.inbound("STOP")  # 2026-01-05 09:00 UTC: 03:00 in Mexico City
    sms.inbound("Where is my order?")  # a keyword makes no ticket; this does
    agent = make_agent(role="support", password=None)
    agent.timezone = "America/Mexico_City"
    agent.save()
    login(client, agent)
    page = client.get(f"/t/{Ticket.get().id}").get_data(as_text=True)
    # The machine-readable time stays UTC; the one people read is local.
    assert re.search(r'<time datetime="2026-01-05T09:00:00\+00:00">[^<]*\b0?3:00</time> — texted STOP', page)
