"""Mail sent with smtplib into the plugin's SMTP listener."""

import smtplib

import pytest
from email_kit import SUPPORT, make_mail, smtp_send

from app.models import Message, Profile, Ticket
from app.services import storage
from app.services.tickets import close
from plugins.email.addresses import reply_address
from plugins.email.models import DroppedEmail


def inbound_messages():
    return list(
        Message.select().where((Message.channel == "email") & (Message.direction == "inbound")).order_by(Message.id)
    )


def test_new_email_creates_a_ticket(app, listener):
    smtp_send(listener, make_mail(text="Where is my parcel?", subject="Order #1001"))
    [message] = inbound_messages()
    ticket = Ticket.get_by_id(message.ticket_id)
    assert ticket.channel == "email" and ticket.status == "open"
    assert ticket.subject == "Order #1001"
    assert message.text == "Where is my parcel?"
    assert message.external_id == "m1@customer.example"
    profile = Profile.get_by_id(ticket.profile_id)
    assert profile.email == "anna@customer.example" and profile.name == "Anna Buyer"
    with open(storage.path_for(message.meta["raw_key"]), "rb") as fh:
        assert b"Where is my parcel?" in fh.read()


def test_reply_by_headers_joins_the_same_ticket(app, listener):
    smtp_send(listener, make_mail(text="First", message_id="<a1@customer.example>"))
    smtp_send(
        listener,
        make_mail(
            text="Second",
            message_id="<a2@customer.example>",
            in_reply_to="<a1@customer.example>",
            references="<a1@customer.example>",
            subject="Re: Order #1001",
        ),
    )
    smtp_send(listener, make_mail(text="Unrelated", message_id="<b1@customer.example>", subject="Other"))
    first, second, other = inbound_messages()
    assert first.ticket_id == second.ticket_id
    assert other.ticket_id != first.ticket_id


def test_reply_address_token_threads_without_headers(app, listener):
    smtp_send(listener, make_mail(text="First", message_id="<t1@customer.example>"))
    ticket_id = inbound_messages()[0].ticket_id
    token = reply_address(app.extensions["helpline.plugins"].get_settings("email"), ticket_id)
    # A client that dropped In-Reply-To and References, writing to the Reply-To.
    smtp_send(
        listener,
        make_mail(text="Follow-up", message_id="<t2@customer.example>", to=token, subject="New subject"),
        recipients=[token],
    )
    assert inbound_messages()[1].ticket_id == ticket_id


def test_forged_or_unknown_recipients_are_refused(app, listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(listener, make_mail(to="someone@else.example"), recipients=["someone@else.example"])
    assert refused.value.recipients["someone@else.example"][0] == 550
    forged = "support+1.0123456789abcdef@shop.example"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_send(listener, make_mail(to=forged), recipients=[forged])
    assert inbound_messages() == []


def test_reply_to_a_long_closed_ticket_reopens_it(app, listener, clock):
    smtp_send(listener, make_mail(text="Broken zipper", message_id="<c1@customer.example>"))
    ticket = Ticket.get_by_id(inbound_messages()[0].ticket_id)
    close(ticket)
    clock.advance(days=400)
    smtp_send(
        listener,
        make_mail(
            text="It broke again",
            message_id="<c2@customer.example>",
            in_reply_to="<c1@customer.example>",
            references="<c1@customer.example>",
        ),
    )
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.status == "open" and ticket.reopen_count == 1
    assert Ticket.select().count() == 1


def test_same_message_twice_is_one_message(app, listener):
    mail = make_mail(text="Only once", message_id="<dup@customer.example>")
    smtp_send(listener, mail)
    smtp_send(listener, mail)
    assert len(inbound_messages()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
    ],
    ids=["auto-submitted", "precedence", "x-autoreply", "x-autorespond"],
)
def test_auto_replies_create_nothing(app, listener, headers):
    smtp_send(listener, make_mail(text="I am out of the office", message_id="<ooo@customer.example>", headers=headers))
    assert inbound_messages() == [] and Ticket.select().count() == 0
    assert DroppedEmail.get(DroppedEmail.message_id == "ooo@customer.example").reason


def test_auto_submitted_no_is_a_person(app, listener):
    smtp_send(listener, make_mail(text="A human wrote this", headers={"Auto-Submitted": "no"}))
    assert len(inbound_messages()) == 1


BOUNCE = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
    b"To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <bounce1@mx.customer.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Delivery failed.\r\n"
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
    b"Final-Recipient: rfc822; gone@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--B--\r\n"
)


def test_bounce_creates_nothing(app, listener):
    smtp_send(listener, BOUNCE, sender="")
    assert Ticket.select().count() == 0
    assert DroppedEmail.get(DroppedEmail.message_id == "bounce1@mx.customer.example").reason == "bounce"


def test_our_own_mail_coming_back_creates_nothing(app, listener):
    smtp_send(listener, make_mail(text="Loop", sender=f"Shop <{SUPPORT}>", message_id="<x@elsewhere.example>"))
    smtp_send(
        listener,
        make_mail(text="Loop", message_id="<loop@customer.example>", headers={"X-Helpline": "ticket=1; message=1"}),
    )
    assert Ticket.select().count() == 0
    assert DroppedEmail.select().count() == 2


def test_quoted_history_and_signature_are_hidden_but_kept(app, listener):
    text = (
        "Thanks, that works!\n\n-- \nAnna Buyer\n+1 555 0100\n\n"
        "On Mon, Jan 5, 2026 at 9:00 AM Shop Support <support@shop.example> wrote:\n"
        "> It ships tomorrow.\n> Best, Shop\n"
    )
    smtp_send(listener, make_mail(text=text))
    [message] = inbound_messages()
    assert message.text == "Thanks, that works!"
    assert "It ships tomorrow." in message.meta["full_text"]
    assert "555 0100" in message.meta["full_text"]


def test_html_is_sanitized_and_attachments_are_stored(app, listener):
    mail = make_mail(text="See the photo", html='<p onclick="x()">See the <b>photo</b></p><script>alert(1)</script>')
    mail.add_attachment(b"\x89PNG fake image bytes", maintype="image", subtype="png", filename="../../etc/photo.png")
    mail.add_attachment(b"x" * (70 * 1024), maintype="application", subtype="pdf", filename="huge.pdf")
    smtp_send(listener, mail)
    [message] = inbound_messages()
    assert "<b>photo</b>" in message.html
    assert "script" not in message.html and "onclick" not in message.html
    [photo] = message.attachments
    assert photo["filename"] == "photo.png" and photo["content_type"] == "image/png"
    with open(storage.path_for(photo["storage_key"]), "rb") as fh:
        assert fh.read() == b"\x89PNG fake image bytes"
    # Past max_attachment_bytes: not stored separately, but noted and still in the raw message.
    assert message.meta["skipped_attachments"][0]["filename"] == "huge.pdf"


def test_oversized_mail_is_refused_at_smtp_level(app, listener):
    with pytest.raises(smtplib.SMTPException) as refused:
        smtp_send(listener, make_mail(text="x" * (600 * 1024)))
    assert "552" in str(refused.value)
    assert inbound_messages() == []


def test_quickstart_service_starts_and_stops_the_listener(app, email_settings):
    from plugins.email.smtp_server import service

    app.extensions["helpline.plugins"].set_settings("email", {"smtp_listen_port": 0})
    [start] = app.extensions["helpline.plugins"].infos["email"].services
    assert start is service
    stop = start(app)
    try:
        smtp_send(stop.__self__, make_mail(text="Via the quickstart listener"))
        assert [m.text for m in inbound_messages()] == ["Via the quickstart listener"]
    finally:
        stop()


def test_serve_smtp_command_is_registered(app):
    group = app.cli.commands["email"]
    assert "serve-smtp" in group.commands
    result = app.test_cli_runner().invoke(args=["email", "serve-smtp", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


def test_html_reply_hides_the_quoted_history(app, listener):
    html = (
        '<div dir="ltr">Thanks, <b>got it</b>!</div><br><div class="gmail_quote"><div class="gmail_attr">'
        "On Mon, Jan 5, 2026 at 9:00 AM Shop Support &lt;support@shop.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">It ships tomorrow.</blockquote></div>'
    )
    text = (
        "Thanks, got it!\n\nOn Mon, Jan 5, 2026 at 9:00 AM Shop Support <support@shop.example> wrote:\n"
        "> It ships tomorrow.\n"
    )
    smtp_send(listener, make_mail(text=text, html=html))
    [message] = inbound_messages()
    assert "<b>got it</b>" in message.html
    assert "ships tomorrow" not in message.html and "wrote" not in message.html
    assert message.text == "Thanks, got it!"


def test_disabled_plugin_defers_mail_instead_of_bouncing_it(app, listener):
    app.extensions["helpline.plugins"].set_enabled("email", False)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(listener, make_mail(text="While off"))
    assert refused.value.recipients[SUPPORT][0] == 451
    app.extensions["helpline.plugins"].set_enabled("email", True)
    smtp_send(listener, make_mail(text="While off"))  # the sending server's retry
    assert [m.text for m in inbound_messages()] == ["While off"]


def test_concurrent_deliveries_of_one_message_store_it_once(app, listener):
    import threading

    mail = make_mail(text="Sent by two relays at once", message_id="<race@customer.example>")
    errors = []

    def deliver():
        try:
            smtp_send(listener, mail)
        except Exception as exc:  # collected: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(inbound_messages()) == 1


def test_long_reference_chain_still_threads_by_its_latest_message(app, listener):
    smtp_send(listener, make_mail(text="Start", message_id="<chain-start@customer.example>"))
    ticket_id = inbound_messages()[0].ticket_id
    # 300 foreign ids, then ours last: the tail must survive the References bound.
    refs = " ".join(f"<foreign{i}@elsewhere.example>" for i in range(300)) + " <chain-start@customer.example>"
    smtp_send(listener, make_mail(text="Much later", message_id="<chain-end@customer.example>", references=refs))
    assert inbound_messages()[1].ticket_id == ticket_id


def test_dropped_mail_is_forgotten_after_thirty_days(app, listener, clock):
    from plugins.email.tasks import purge_dropped

    smtp_send(
        listener,
        make_mail(
            text="Out of office", message_id="<old-ooo@customer.example>", headers={"Auto-Submitted": "auto-replied"}
        ),
    )
    raw_key = DroppedEmail.get().raw_key
    assert storage.path_for(raw_key)
    clock.advance(days=29)
    assert purge_dropped.call_local() == 0
    clock.advance(days=2)
    assert purge_dropped.call_local() == 1
    assert DroppedEmail.select().count() == 0 and storage.path_for(raw_key) is None
