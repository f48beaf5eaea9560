"""A reply sent again after its worker died carries the same Message-ID, and
waits for the configured lease before it is sent again."""

import datetime as dt
import os

from email_kit import make_mail, smtp_send

from app.models import Message, Outbox, Ticket
from app.services import storage
from app.services.messages import reply
from app.services.outbox import retry_due
from plugins.email.addresses import is_own_message_id, reply_message_id


def test_a_reply_claimed_then_abandoned_is_resent_with_the_same_message_id(
    app, listener, relay, make_agent, clock, email_settings
):
    app.config["OUTBOX_LEASE_SECONDS"] = 120
    smtp_send(listener, make_mail(text="Where is my order?", message_id="<q1@customer.example>"))
    ticket = Ticket.select().where(Ticket.channel == "email").get()
    out = reply(ticket, make_agent(), "It ships tomorrow.")
    [first] = relay.messages
    first_id = first["message"]["Message-ID"]
    assert is_own_message_id(email_settings, first_id.strip("<>"))
    assert f".{out.id}." in first_id

    # The worker claimed the row again (a retry), sent it, and was killed
    # before it could record the result: the claim holds for the lease.
    Outbox.update(state="pending", next_attempt_at=clock.now() + dt.timedelta(seconds=120)).where(
        Outbox.message == out.id
    ).execute()
    Message.update(delivery_state="queued", external_id=None).where(Message.id == out.id).execute()

    clock.advance(seconds=119)
    assert retry_due() == 0
    assert len(relay.messages) == 1

    clock.advance(seconds=2)
    assert retry_due() == 1
    second = relay.messages[1]["message"]
    assert second["Message-ID"] == first_id
    assert second.get_body(preferencelist=("plain",)).get_content().strip() == "It ships tomorrow."
    sent = Message.get_by_id(out.id)
    assert sent.delivery_state == "sent"
    assert f"<{sent.external_id}>" == first_id


def test_message_ids_differ_per_message_and_per_deployment_secret(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi", message_id="<q2@customer.example>"))
    ticket = Ticket.select().where(Ticket.channel == "email").get()
    agent = make_agent()
    reply(ticket, agent, "One")
    reply(ticket, agent, "Two")
    ids = [m["message"]["Message-ID"] for m in relay.messages]
    assert len(set(ids)) == 2
    first = ids[0]
    app.config["SECRET_KEY"] = "another deployment"
    settings = app.extensions["helpline.plugins"].get_settings("email")
    message_id = int(first.split(".")[1])
    assert f"<{reply_message_id(settings, message_id)}>" != first


def test_a_missing_attachment_fails_the_reply_loudly(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi", message_id="<q3@customer.example>"))
    ticket = Ticket.select().where(Ticket.channel == "email").get()
    attachment = storage.save(b"%PDF-1.4 invoice", "invoice.pdf", "application/pdf")
    os.remove(storage.path_for(attachment.storage_key))
    out = reply(ticket, make_agent(), "Your invoice", attachments=[attachment.as_dict()])
    out = Message.get_by_id(out.id)
    assert relay.messages == []
    assert out.delivery_state in ("queued", "failed")
    assert "invoice.pdf" in out.delivery_error and "missing" in out.delivery_error
