"""The team alert on a new SMS, through a real SMTP server (aiosmtpd on
127.0.0.1) reached by a small plugin implementing ``helpline_send_email``."""
import email
import logging
import smtplib

import pytest
from aiosmtpd.controller import Controller

from app.hookspecs import hookimpl
from app.services.tickets import close

from sms_kit import CUSTOMER


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


class _EphemeralController(Controller):
    """aiosmtpd on port 0: read the port the OS chose before the readiness probe."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSender:
    """Stands in for the email plugin: the hook is the contract."""

    def __init__(self, port):
        self.port = port

    @hookimpl
    def helpline_email_available(self):
        return True

    @hookimpl
    def helpline_send_email(self, message):
        if "From" not in message:
            message["From"] = "helpline@shop.example"
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as smtp:
            smtp.send_message(message)
        return True


@pytest.fixture
def smtp_server():
    sink = _Sink()
    controller = _EphemeralController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture
def alerts_on(sms, smtp_server, register_plugin):
    sink, port = smtp_server
    register_plugin(SmtpSender(port), "test-email-sender")
    sms.configure(email_alert_enabled=True, email_alert_recipients=["team@shop.example", "boss@shop.example"])
    return sink


def test_a_new_sms_ticket_emails_the_team(sms, alerts_on):
    sms.inbound("My parcel arrived broken", extra={"ProfileName": "Ada"})
    [(recipients, mail)] = alerts_on.messages
    assert sorted(recipients) == ["boss@shop.example", "team@shop.example"]
    assert "New SMS from Ada" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "My parcel arrived broken" in body and CUSTOMER in body


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


def test_alerts_off_by_default(sms, smtp_server, register_plugin):
    sink, port = smtp_server
    register_plugin(SmtpSender(port), "test-email-sender")
    sms.inbound("Hello")
    assert sink.messages == []


def test_without_an_email_sender_the_settings_warn_and_the_log_says_why(sms, make_agent, login, caplog):
    sms.configure(email_alert_enabled=True, email_alert_recipients=["team@shop.example"])
    with caplog.at_level(logging.WARNING, logger="plugins.sms.alerts"):
        assert sms.inbound("Hello").status_code == 200
    assert any("no enabled plugin sends email" in r.getMessage() for r in caplog.records)
    login(sms.client, make_agent(role="admin"))
    warnings = sms.client.get("/sms/api/settings/warnings").get_json()["warnings"]
    assert any(w["field"] == "email_alert_enabled" and "email plugin" in w["message"] for w in warnings)


def test_settings_warnings_are_for_admins(sms, make_agent, login):
    login(sms.client, make_agent(role="support"))
    assert sms.client.get("/sms/api/settings/warnings").status_code == 403


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
    warnings = sms.client.get("/sms/api/settings/warnings").get_json()["warnings"]
    assert warnings == []
