"""Settings: validation with field errors, defaults, and the warnings shown
on the settings page."""

import marshmallow
import pytest
from sms_kit import ACCOUNT_SID


def _errors(sms, **data):
    with pytest.raises(marshmallow.ValidationError) as err:
        sms.plugins.set_settings("sms", data)
    return err.value.messages


def test_defaults(app):
    settings = app.extensions["helpline.plugins"].get_settings("sms")
    assert settings["autoresponder_enabled"] is True and settings["link_shortening"] is True
    assert settings["attribution_window_hours"] == 24 and settings["email_alert_enabled"] is False
    assert settings["stop_keywords"] == ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
    assert settings["start_keywords"] == ["START", "UNSTOP", "YES"]
    assert settings["help_keywords"] == ["HELP", "INFO"]
    assert str(settings["autoresponder_template"]) == (
        "{{ organization_prefix }}: We can't reply because you haven't consented to receive SMS. "
        "For help, contact us at {{ email }}."
    )
    assert settings["api_base_url"] == "https://api.twilio.com"


def test_sender_ids(sms):
    assert sms.plugins.set_settings("sms", {"from_number": "ACME Shop"})["from_number"] == "ACME Shop"
    assert "from_number" in _errors(sms, from_number="ACME Shop Ltd")  # longer than 11
    assert "from_number" in _errors(sms, from_number="555-1234")  # not E.164
    assert "messaging_service_sid" in _errors(sms, messaging_service_sid="MG1")
    assert "account_sid" in _errors(sms, account_sid=ACCOUNT_SID[:-1])


def test_templates_must_parse(sms):
    messages = _errors(sms, autoresponder_template="{{ organization_prefix ", help_reply="")
    assert {"autoresponder_template", "help_reply"} <= set(messages)


def test_templates_are_sandboxed(sms):
    sms.configure(autoresponder_template="{{ email.__class__.__mro__ }}")
    response = sms.inbound("Hello")
    assert response.status_code == 200  # the message is stored whatever the template does
    assert "object" not in "".join(form["Body"] for form in sms.twilio.sent)


def test_urls(sms):
    messages = _errors(sms, public_url="help.example.com", api_base_url="not a url")
    assert {"public_url", "api_base_url"} <= set(messages)
    stored = sms.plugins.set_settings("sms", {"public_url": "https://help.example.com/"})
    assert stored["public_url"] == "https://help.example.com"


def test_warnings_for_the_settings_page(sms, make_agent, login):
    sms.configure(public_url="", from_number="ACME", email_alert_enabled=True)
    login(sms.client, make_agent(role="admin"))
    fields = {w["field"] for w in sms.client.get("/api/v1/sms/settings/warnings").get_json()["warnings"]}
    assert fields == {"public_url", "from_number", "email_alert_enabled", "email_alert_recipients"}


def test_a_template_failing_at_render_time_never_loses_the_message(sms):
    sms.configure(autoresponder_template="{{ email.upper() }}{{ missing() }}")
    response = sms.inbound("Hello")
    assert response.status_code == 200
    from app.models import Message

    assert Message.get(Message.direction == "inbound").text == "Hello"
    assert "could not be sent" in Message.get(Message.kind == "notice").text
    assert sms.twilio.sent == []
