"""Issue 17: the SMS autoresponder never arms auto-close."""

from app.models import Ticket
from plugins.autoclose.tasks import close_inactive_tickets


def test_an_autoresponded_sms_is_not_closed_for_inactivity(sms, app, clock):
    app.extensions["helpline.plugins"].set_enabled("autoclose", True)
    app.extensions["helpline.plugins"].set_settings("autoclose", {"inactivity_days": 1})
    sms.inbound("Where is my order?")
    assert len(sms.twilio.sent) == 1  # the autoresponder went out
    clock.advance(days=30)
    assert close_inactive_tickets.call_local() == []
    ticket = Ticket.get()
    assert ticket.status == "open" and ticket.first_response_at is None
