"""Keyword messages change SMS consent and never create tickets."""

import marshmallow
import pytest
from sms_kit import CUSTOMER, OUR_NUMBER, new_sid

from app.models import Message, ProfileEvent, Ticket
from app.registry import Sender
from app.services.profiles import find_or_create

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
OPT_IN = ["START", "UNSTOP", "YES"]
HELP = ["HELP", "INFO"]


def _known_customer(consent):
    profile = find_or_create(Sender(phone=CUSTOMER))
    profile.sms_consent = consent
    profile.save()
    return profile


def _keyword_events():
    return [
        e.properties
        for e in ProfileEvent.select().where(ProfileEvent.metric == "sms_keyword").order_by(ProfileEvent.id)
    ]


def _phone(n):
    return f"+1555300{n:04d}"


def test_each_opt_out_keyword_removes_consent_without_a_ticket(sms):
    for n, word in enumerate(OPT_OUT):
        profile = find_or_create(Sender(phone=_phone(n)))
        profile.sms_consent = "marketing"
        profile.save()
        assert sms.inbound(word, phone=_phone(n)).status_code == 200
        assert sms.profile(_phone(n)).sms_consent is None, word
        event = _keyword_events()[-1]
        assert event["keyword"] == word and event["action"] == "opt_out"
        assert event["consent_before"] == "marketing" and event["consent_after"] is None
    assert Ticket.select().count() == 0 and Message.select().count() == 0
    assert sms.twilio.sent == []  # Twilio confirms opt-outs itself; we send nothing


def test_each_opt_in_keyword_grants_transactional_consent(sms):
    for n, word in enumerate(OPT_IN):
        assert sms.inbound(word, phone=_phone(n)).status_code == 200
        assert sms.profile(_phone(n)).sms_consent == "transactional", word
        assert _keyword_events()[-1]["action"] == "opt_in"
    assert Ticket.select().count() == 0


def test_opting_in_keeps_marketing_consent(sms):
    _known_customer("marketing")
    sms.inbound("START")
    assert sms.profile().sms_consent == "marketing"


def test_each_help_keyword_gets_the_help_reply(sms):
    sms.set_core(sms_prefix="AcmeShop", support_email="care@acme.example")
    for n, word in enumerate(HELP):
        assert sms.inbound(word, phone=_phone(n)).status_code == 200
        sent = sms.twilio.sent[-1]
        assert sent["To"] == _phone(n) and sent["From"] == OUR_NUMBER
        assert sent["Body"] == "AcmeShop: For help, contact us at care@acme.example. Reply STOP to unsubscribe."
        assert sms.profile(_phone(n)).sms_consent is None
    assert len(sms.twilio.sent) == len(HELP)
    assert Ticket.select().count() == 0


def test_keywords_ignore_case_spaces_and_a_final_period(sms):
    _known_customer("transactional")
    sms.inbound("  stop. ")
    assert sms.profile().sms_consent is None
    assert Ticket.select().count() == 0


def test_a_sentence_containing_a_keyword_is_a_message(sms):
    sms.inbound("Please stop sending me the wrong size")
    assert Ticket.select().count() == 1


def test_keyword_lists_are_configurable(sms):
    sms.configure(stop_keywords=["arret", "STOP"], help_keywords=["AIDE"])
    _known_customer("transactional")
    sms.inbound("ARRET")
    assert sms.profile().sms_consent is None
    sms.inbound("INFO")  # no longer a help keyword: an ordinary message
    assert Ticket.select().count() == 1
    sms.inbound("aide")
    assert sms.twilio.sent[-1]["Body"].endswith("Reply STOP to unsubscribe.")


def test_a_retried_keyword_counts_once(sms):
    sid = new_sid()
    sms.inbound("HELP", sid=sid)
    sms.inbound("HELP", sid=sid)
    assert len(_keyword_events()) == 1
    assert len(sms.twilio.sent) == 1


def test_a_keyword_has_one_meaning_and_is_one_word(sms):
    with pytest.raises(marshmallow.ValidationError) as err:
        sms.plugins.set_settings("sms", {"start_keywords": ["START", "STOP"]})
    assert "start_keywords" in err.value.messages
    with pytest.raises(marshmallow.ValidationError) as err:
        sms.plugins.set_settings("sms", {"help_keywords": ["HELP ME"]})
    assert "help_keywords" in err.value.messages


def test_a_consent_change_tells_plugins(sms, hook_recorder):
    profile = _known_customer("marketing")
    sms.inbound("STOP")
    (call,) = hook_recorder.calls("helpline_on_profile_updated")
    assert call["profile"].id == profile.id and call["changes"] == {"sms_consent": ("marketing", None)}
    hook_recorder.clear()
    sms.inbound("STOP")  # no change, nothing to tell
    assert hook_recorder.calls("helpline_on_profile_updated") == []


def _conversation_waiting_for_the_customer(sms, make_agent, clock):
    from app.services.messages import reply

    _known_customer("transactional")
    sms.inbound("Can you change my order?")
    ticket = Ticket.get()
    reply(ticket, make_agent(), "We can swap the size. Shall we go ahead?")
    clock.advance(minutes=5)
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.awaiting_customer_since is not None
    return ticket


@pytest.mark.parametrize(
    "word, consent",
    [("Yes", "transactional"), ("Cancel", None), ("Info", "transactional"), ("Help", "transactional")],
)
def test_a_keyword_answering_an_agent_acts_and_is_kept_on_the_ticket(sms, make_agent, clock, word, consent):
    ticket = _conversation_waiting_for_the_customer(sms, make_agent, clock)
    assert sms.inbound(word).status_code == 200
    assert sms.profile().sms_consent == consent  # the keyword still acts
    assert _keyword_events()[-1]["keyword"] == word.upper()
    inbound = ticket.messages.where(Message.direction == "inbound").order_by(Message.id)
    assert [m.text for m in inbound] == ["Can you change my order?", word]
    ticket = Ticket.get_by_id(ticket.id)
    # It is the customer's answer for every clock.
    assert ticket.awaiting_customer_since is None
    assert ticket.last_customer_message_at == clock.now()
    assert ticket.last_message_preview == word


def test_a_retried_keyword_in_a_conversation_is_stored_once(sms, make_agent, clock):
    ticket = _conversation_waiting_for_the_customer(sms, make_agent, clock)
    sid = new_sid()
    sms.inbound("YES", sid=sid)
    sms.inbound("YES", sid=sid)
    assert ticket.messages.where(Message.direction == "inbound").count() == 2
