"""Keyword messages change SMS consent and never create tickets."""
import marshmallow
import pytest

from app.models import Message, ProfileEvent, Ticket
from app.registry import Sender
from app.services.profiles import find_or_create

from sms_kit import CUSTOMER, OUR_NUMBER, new_sid

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
OPT_IN = ["START", "UNSTOP", "YES"]
HELP = ["HELP", "INFO"]


def _known_customer(consent):
    profile = find_or_create(Sender(phone=CUSTOMER))
    profile.sms_consent = consent
    profile.save()
    return profile


def _keyword_events():
    return [e.properties for e in ProfileEvent.select().where(ProfileEvent.metric == "sms_keyword")
            .order_by(ProfileEvent.id)]


@pytest.mark.parametrize("word", OPT_OUT)
def test_opt_out_keywords_remove_consent_without_a_ticket(sms, word):
    _known_customer("marketing")
    assert sms.inbound(word).status_code == 200
    assert sms.profile().sms_consent is None
    assert Ticket.select().count() == 0 and Message.select().count() == 0
    [event] = _keyword_events()
    assert event["keyword"] == word and event["action"] == "opt_out"
    assert event["consent_before"] == "marketing" and event["consent_after"] is None
    assert sms.twilio.sent == []   # Twilio confirms opt-outs itself; we send nothing


@pytest.mark.parametrize("word", OPT_IN)
def test_opt_in_keywords_grant_transactional_consent(sms, word):
    assert sms.inbound(word).status_code == 200
    assert sms.profile().sms_consent == "transactional"
    assert Ticket.select().count() == 0
    assert _keyword_events()[0]["action"] == "opt_in"


def test_opting_in_keeps_marketing_consent(sms):
    _known_customer("marketing")
    sms.inbound("START")
    assert sms.profile().sms_consent == "marketing"


@pytest.mark.parametrize("word", HELP)
def test_help_keywords_get_the_help_reply(sms, word):
    sms.set_core(sms_prefix="AcmeShop", support_email="care@acme.example")
    assert sms.inbound(word).status_code == 200
    assert Ticket.select().count() == 0
    [sent] = sms.twilio.sent
    assert sent["To"] == CUSTOMER and sent["From"] == OUR_NUMBER
    assert sent["Body"] == "AcmeShop: For help, contact us at care@acme.example. Reply STOP to unsubscribe."
    assert sms.profile().sms_consent is None


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
    sms.inbound("INFO")   # no longer a help keyword: an ordinary message
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
