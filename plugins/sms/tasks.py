"""Background work of the SMS plugin: automatic replies and team alerts,
sent after the inbound message is committed so a slow provider never delays
Twilio's webhook."""

import logging

from flask_babel import gettext as _
from jinja2 import TemplateError

from app.plugin import DeliveryError, Ticket, add_notice, customer_language, get_plugins, make_reason, task

from . import alerts, autoresponder, consent, twilio_api

log = logging.getLogger(__name__)


@task()
def send_automatic_sms(phone, kind, ticket_id=None):
    """Send the autoresponder (``kind="autoresponder"``) or the help reply
    (``kind="help"``) straight through Twilio. It is not an agent reply: it
    never arms the auto-close clock; the ticket gets a notice instead."""
    settings = get_plugins().get_settings("sms")
    ticket = Ticket.get_or_none(Ticket.id == ticket_id) if ticket_id else None
    if kind != "help" and consent.opted_out(phone):
        # A STOP that arrived after this reply was decided still wins. The
        # help text is the answer to the customer's own HELP, which carriers
        # require to be answered whatever the consent.
        log.info("automatic SMS (%s) to %s not sent: the number opted out", kind, phone)
        return None
    try:
        body = _text(settings, kind)
        sent = twilio_api.send_sms(settings, phone, body)
    except DeliveryError as exc:
        log.warning("automatic SMS (%s) to %s failed: %s", kind, phone, exc)
        if ticket is not None:
            add_notice(
                ticket,
                _("The automatic SMS reply could not be sent: %(error)s", error=str(exc)),
                meta={"sms": {"automatic": kind, "error": str(exc)[:500]}},
            )
        return None
    if ticket is not None:
        add_notice(
            ticket,
            _("Automatic SMS reply sent: %(text)s", text=body),
            meta={"sms": {"automatic": kind, "sid": sent.sid, "status": sent.status}, "why": _why(settings, kind)},
            activity="auto_replied",
        )
    return sent.sid


@task()
def send_new_sms_alert(ticket_id, message_id):
    """Email the team about a new SMS ticket (see ``alerts.send_for``)."""
    return alerts.send_for(ticket_id, message_id)


def _why(settings, kind):
    """Why the automatic SMS went out: no consent yet (autoresponder) or a
    HELP keyword, once per sender per window."""
    if kind == "help":
        summary = _("SMS HELP keyword: the customer texted HELP, so the help reply was sent.")
    else:
        summary = _(
            "SMS autoresponder: the sender has not consented to SMS, so the autoresponder answered "
            "(at most once every %(hours)d hours).",
            hours=settings["autoresponder_window_hours"],
        )
    return make_reason(
        f"sms.{kind}",
        summary,
        {"kind": kind, "window_hours": settings["autoresponder_window_hours"]},
        "web.plugin_settings",
        {"name": "sms"},
    )


def _text(settings, kind):
    """The automatic text; a merchant's template that fails at render time
    or renders nothing is a delivery failure, never a crashed worker."""
    try:
        with customer_language():
            # Read again so a default wording is in the customer-facing language.
            settings = get_plugins().get_settings("sms")
            body = autoresponder.help_text(settings) if kind == "help" else autoresponder.autoresponder_text(settings)
    except TemplateError as exc:
        raise DeliveryError(_("The template could not be rendered: %(error)s", error=str(exc)), retryable=False)
    if not body:
        raise DeliveryError(_("The template gives an empty text."), retryable=False)
    return body
