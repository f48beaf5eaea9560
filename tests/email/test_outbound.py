"""Agent replies and notification mail reaching the aiosmtpd relay."""

from email.message import EmailMessage

import pytest
from email_kit import SUPPORT, body_text, make_mail, smtp_send

from app.models import Message, Ticket
from app.services.messages import ReplyRefused, reply
from plugins.email.addresses import ticket_from_address


def last_inbound():
    return (
        Message.select()
        .where((Message.channel == "email") & (Message.direction == "inbound"))
        .order_by(Message.id.desc())
        .first()
    )


def test_agent_reply_arrives_with_threading_headers(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="First", subject="Order #1001", message_id="<r1@customer.example>"))
    smtp_send(
        listener,
        make_mail(
            text="Second",
            subject="Re: Order #1001",
            message_id="<r2@customer.example>",
            in_reply_to="<r1@customer.example>",
            references="<r1@customer.example>",
        ),
    )
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    out = reply(ticket, make_agent(), "It ships tomorrow.", html="<p>It ships <b>tomorrow</b>.</p>")

    [delivered] = relay.messages
    mail = delivered["message"]
    assert delivered["rcpt_tos"] == ["anna@customer.example"]
    assert mail["From"].addresses[0].addr_spec == SUPPORT
    assert mail["From"].addresses[0].display_name == "Shop Support"
    assert mail["Subject"] == "Re: Order #1001"
    assert mail["In-Reply-To"] == "<r2@customer.example>"
    assert mail["References"].split() == ["<r1@customer.example>", "<r2@customer.example>"]
    assert (
        ticket_from_address(
            app.extensions["helpline.plugins"].get_settings("email"), mail["Reply-To"].addresses[0].addr_spec
        )
        == ticket.id
    )
    assert mail["X-Helpline"]
    assert body_text(mail).strip() == "It ships tomorrow."
    assert "<b>tomorrow</b>" in mail.get_body(preferencelist=("html",)).get_content()
    sent = Message.get_by_id(out.id)
    assert sent.delivery_state == "sent"
    assert f"<{sent.external_id}>" == mail["Message-ID"]


def test_customer_answer_to_our_reply_threads_back(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi", message_id="<h1@customer.example>"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    reply(ticket, make_agent(), "Hello!")
    ours = relay.messages[0]["message"]["Message-ID"]
    # A new subject and only our Message-ID in In-Reply-To: still the same ticket.
    smtp_send(
        listener,
        make_mail(text="Thanks", subject="Something else", message_id="<h2@customer.example>", in_reply_to=ours),
    )
    assert last_inbound().ticket_id == ticket.id
    assert Ticket.select().count() == 1


def test_permanent_refusal_fails_the_message(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    relay.rcpt_answers.append("550 5.1.1 No such user")
    out = Message.get_by_id(reply(ticket, make_agent(), "Hello").id)
    assert out.delivery_state == "failed"
    assert "550" in out.delivery_error


def test_temporary_refusal_is_retried(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    relay.rcpt_answers.append("451 4.7.1 Greylisted, try later")
    out = Message.get_by_id(reply(ticket, make_agent(), "Hello").id)
    assert out.delivery_state == "queued" and "451" in out.delivery_error
    from app.services.outbox import retry_now

    assert retry_now(out) == "sent"
    assert Message.get_by_id(out.id).delivery_state == "sent"
    assert len(relay.messages) == 1


def test_unreachable_server_is_retried(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    # A port nobody listens on: bind one, note it, close it.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    app.extensions["helpline.plugins"].set_settings("email", {"smtp_port": dead_port})
    out = Message.get_by_id(reply(ticket, make_agent(), "Hello").id)
    assert out.delivery_state == "queued"
    assert "Could not reach the mail server" in out.delivery_error


def test_no_reply_without_an_email_address(app, listener, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    ticket.profile.email = None
    ticket.profile.save()
    with pytest.raises(ReplyRefused) as refused:
        reply(Ticket.get_by_id(ticket.id), make_agent(), "Hello")
    assert refused.value.code == "no_email_address"
    assert "no email address" in refused.value.message


def notification():
    mail = EmailMessage()
    mail["To"] = "team@shop.example"
    mail["Subject"] = "New SMS from +15550100"
    mail.set_content("Someone texted the shop.")
    return mail


def test_send_email_hook_delivers_notifications(app, relay, email_settings):
    plugins = app.extensions["helpline.plugins"]
    assert plugins.relay.helpline_send_email(message=notification()) is True
    [delivered] = relay.messages
    mail = delivered["message"]
    assert mail["From"].addresses[0].addr_spec == SUPPORT
    assert mail["Auto-Submitted"] == "auto-generated"
    assert delivered["rcpt_tos"] == ["team@shop.example"]
    assert body_text(mail).strip() == "Someone texted the shop."


def test_send_email_hook_answers_none_when_unconfigured(app, relay):
    plugins = app.extensions["helpline.plugins"]
    assert plugins.relay.helpline_send_email(message=notification()) is None
    plugins.set_settings("email", {"smtp_host": "127.0.0.1", "support_addresses": [SUPPORT]})
    plugins.set_enabled("email", False)
    assert plugins.relay.helpline_send_email(message=notification()) is None
    assert relay.messages == []


def test_send_email_hook_never_raises_when_the_server_is_down(app, relay, email_settings, caplog):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    plugins = app.extensions["helpline.plugins"]
    plugins.set_settings("email", {"smtp_port": dead_port})
    # The caller (an SMS webhook, a chat follow-up) must not fail: delivery is retried in the background.
    assert plugins.relay.helpline_send_email(message=notification()) is True
    assert relay.messages == []


def test_reply_to_a_name_with_line_breaks_is_delivered(app, listener, relay, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    # A name set by another channel (web chat form) may hold line breaks: no header injection, no crash.
    ticket.profile.name = "Anna\r\nBcc: victim@example.net"
    ticket.profile.save()
    out = reply(Ticket.get_by_id(ticket.id), make_agent(), "Hello")
    assert Message.get_by_id(out.id).delivery_state == "sent"
    [delivered] = relay.messages
    assert delivered["rcpt_tos"] == ["anna@customer.example"]
    assert delivered["message"]["Bcc"] is None


def test_reply_domain_carries_token_and_message_ids(app, listener, relay, make_agent):
    app.extensions["helpline.plugins"].set_settings("email", {"reply_domain": "reply.shop.example"})
    smtp_send(listener, make_mail(text="Hi", message_id="<rd1@customer.example>"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    reply(ticket, make_agent(), "Hello from the shop")
    mail = relay.messages[0]["message"]
    token = mail["Reply-To"].addresses[0].addr_spec
    assert token.startswith(f"reply+{ticket.id}.") and token.endswith("@reply.shop.example")
    assert mail["Message-ID"].endswith("@reply.shop.example>")
    # The customer's client answers to the Reply-To with no threading headers at all.
    smtp_send(
        listener,
        make_mail(text="Thanks!", to=token, message_id="<rd2@customer.example>", subject="Totally new subject"),
        recipients=[token],
    )
    assert last_inbound().ticket_id == ticket.id
    # Our own reply, bounced back verbatim by a misconfigured forwarder, is dropped.
    smtp_send(listener, mail, sender=SUPPORT, recipients=[SUPPORT])
    assert Message.select().where(Message.direction == "inbound").count() == 2


def test_send_email_hook_without_recipient_sends_nothing(app, relay, email_settings):
    mail = notification()
    del mail["To"]
    assert app.extensions["helpline.plugins"].relay.helpline_send_email(message=mail) is None
    assert relay.messages == []


def test_reply_attachments_are_sent(app, listener, relay, make_agent):
    from app.services import storage

    smtp_send(listener, make_mail(text="Can I have the invoice?"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    invoice = storage.save(b"%PDF-1.4 invoice", "invoice 1001.pdf", "application/pdf")
    reply(ticket, make_agent(), "Here it is.", attachments=[invoice.as_dict()])
    [part] = list(relay.messages[0]["message"].iter_attachments())
    assert part.get_filename() == "invoice 1001.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 invoice"
