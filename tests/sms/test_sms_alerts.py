"""The team alert on a new SMS, through a real SMTP server (aiosmtpd on
127.0.0.1) reached by the kit's stand-in for the email plugin."""

import logging
import smtplib

import pytest
from sms_kit import CUSTOMER

from app.hookspecs import hookimpl
from app.services.tickets import close


@pytest.fixture
def alerts_on(sms, email_sender):
    sms.configure(email_alert_enabled=True, email_alert_recipients=["team@shop.example", "boss@shop.example"])
    return email_sender


def test_a_new_sms_ticket_emails_the_team(sms, alerts_on):
    sms.inbound("My parcel arrived broken", extra={"ProfileName": "Ada"})
    [(recipients, mail)] = alerts_on.messages
    assert sorted(recipients) == ["boss@shop.example", "team@shop.example"]
    assert "New SMS from Ada" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "My parcel arrived broken" in body and CUSTOMER in body


def test_each_recipient_reads_the_alert_in_their_language(sms, alerts_on, make_agent):
    boss = make_agent(email="boss@shop.example", name="Bea Boss", password=None)
    boss.language = "es"
    boss.save()
    sms.inbound("My parcel arrived broken", extra={"ProfileName": "Ada"})
    by_recipient = {tuple(recipients): mail for recipients, mail in alerts_on.messages}
    assert set(by_recipient) == {("team@shop.example",), ("boss@shop.example",)}
    assert "New SMS from Ada" in by_recipient[("team@shop.example",)]["Subject"]
    assert "Nuevo SMS de Ada" in by_recipient[("boss@shop.example",)]["Subject"]


def test_only_new_tickets_alert(sms, alerts_on):
    sms.inbound("One")
    sms.inbound("Two")
    from app.models import Ticket

    close(Ticket.get())
    sms.inbound("Three, reopening")
    assert len(alerts_on.messages) == 1


def test_keywords_do_not_alert(sms, alerts_on):
    sms.inbound("STOP")
    assert alerts_on.messages == []


def test_alerts_off_by_default(sms, email_sender):
    sms.inbound("Hello")
    assert email_sender.messages == []


def test_without_an_email_sender_the_settings_warn_and_the_log_says_why(sms, make_agent, login, caplog):
    sms.configure(email_alert_enabled=True, email_alert_recipients=["team@shop.example"])
    with caplog.at_level(logging.WARNING, logger="plugins.sms.alerts"):
        assert sms.inbound("Hello").status_code == 200
    assert any("no enabled plugin sends email" in r.getMessage() for r in caplog.records)
    login(sms.client, make_agent(role="admin"))
    warnings = sms.client.get("/api/v1/sms/settings/warnings").get_json()["warnings"]
    assert any(w["field"] == "email_alert_enabled" and "email plugin" in w["message"] for w in warnings)


def test_settings_warnings_are_for_admins(sms, make_agent, login):
    login(sms.client, make_agent(role="support"))
    assert sms.client.get("/api/v1/sms/settings/warnings").status_code == 403


class BrokenSender:
    @hookimpl
    def helpline_send_email(self, message):
        raise smtplib.SMTPServerDisconnected("connection lost")


def test_smtp_trouble_never_loses_the_sms(sms, register_plugin, caplog):
    register_plugin(BrokenSender(), "broken-email-sender")
    sms.configure(email_alert_enabled=True, email_alert_recipients=["team@shop.example"])
    with caplog.at_level(logging.ERROR, logger="plugins.sms.alerts"):
        assert sms.inbound("Hello").status_code == 200
    from app.models import Message

    assert Message.select().where(Message.direction == "inbound").count() == 1
    assert any("could not be sent" in r.getMessage() for r in caplog.records)


def test_no_warning_once_an_email_sender_is_available(sms, alerts_on, make_agent, login):
    login(sms.client, make_agent(role="owner"))
    warnings = sms.client.get("/api/v1/sms/settings/warnings").get_json()["warnings"]
    assert warnings == []
