"""The optional email to the team when a new SMS conversation starts. It is
sent through the ``helpline_send_email`` decision hook, which the email
plugin implements with its SMTP settings."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask_babel import gettext as _

from app.plugin import (
    Message,
    Ticket,
    customer_language,
    get_plugins,
    hook,
    is_alphanumeric_sender,
    team_languages,
)

log = logging.getLogger(__name__)


def email_available():
    """True when an enabled plugin says it can send notification email."""
    return bool(hook().helpline_email_available())


def settings_warnings(settings):
    """Problems in otherwise valid settings, for the settings page
    (``GET /sms/api/settings/warnings``)."""
    warnings = []
    if settings["email_alert_enabled"]:
        if not settings["email_alert_recipients"]:
            warnings.append(
                {"field": "email_alert_recipients", "message": _("Email alerts are on but no recipient is set.")}
            )
        if not email_available():
            warnings.append(
                {
                    "field": "email_alert_enabled",
                    "message": _(
                        "Email alerts are on but no email sender is available: turn on and "
                        "configure the email plugin, or alerts are not sent."
                    ),
                }
            )
    if not settings["public_url"]:
        warnings.append(
            {
                "field": "public_url",
                "message": _("Without a public base URL, links are not shortened and delivery status is not reported."),
            }
        )
    if is_alphanumeric_sender(settings["from_number"]):
        warnings.append(
            {
                "field": "from_number",
                "message": _("An alphanumeric sender id cannot receive SMS: agents cannot reply from the inbox."),
            }
        )
    return warnings


def build(ticket, message, recipients):
    """The alert email for the first message of a new SMS ticket."""
    profile = ticket.profile
    who = profile.name or profile.phone or _("a customer")
    mail = EmailMessage()
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = _("New SMS from %(who)s (ticket #%(number)s)", who=who, number=ticket.number)
    lines = [
        _("A new SMS conversation started (ticket #%(number)s).", number=ticket.number),
        "",
        _("From: %(phone)s", phone=profile.phone or "-"),
        "",
        message.text or _("(no text)"),
    ]
    if message.attachments:
        lines += ["", _("%(n)d attachment(s).", n=len(message.attachments))]
    mail.set_content("\n".join(lines))
    return mail


def send_for(ticket_id, message_id):
    """Send the alert for a new ticket; returns True when handed to an email
    sender, False (and logs why) when none is available."""
    settings = get_plugins().get_settings("sms")
    if not settings["email_alert_enabled"] or not settings["email_alert_recipients"]:
        return False
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    message = Message.get_or_none(Message.id == message_id)
    if ticket is None or message is None:
        return False
    answers = []
    try:
        # One email per language: each agent reads it in their own.
        for code, recipients in team_languages(settings["email_alert_recipients"]).items():
            with customer_language(code):
                mail = build(ticket, message, recipients)
            answers.append(hook().helpline_send_email(message=mail))
    except Exception:  # SMTP trouble: the alert is lost, never the SMS (the ticket is in the inbox)
        log.exception("SMS alert for ticket %s could not be sent", ticket_id)
        return False
    accepted = None if all(a is None for a in answers) else all(a for a in answers if a is not None)
    if accepted is None:
        log.warning(
            "SMS alert for ticket %s not sent: no enabled plugin sends email (turn on and configure the email plugin)",
            ticket_id,
        )
        return False
    return bool(accepted)
