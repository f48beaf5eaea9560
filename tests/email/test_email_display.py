"""What agents see of inbound mail: quotes, long mail, senders, Cc, skipped
attachments, images, the full text and the original (UI and API)."""

import datetime as dt
import os
from email.message import EmailMessage

import pytest
from email_kit import SUPPORT, make_mail, smtp_send

from app.models import Message, Profile, Ticket
from app.services.messages import reply


def last_inbound():
    return Message.select().where(Message.direction == "inbound").order_by(Message.id.desc()).first()


def ticket_page(client, login, agent, message):
    login(client, agent)
    answer = client.get(f"/t/{message.ticket_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


GMAIL_TEXT = (
    "Thanks, that works!\n\nOn Tue, 6 Jan 2026 at 10:15, Shop Support <\nsupport@shop.example> wrote:\n\n"
    "> Your parcel left our warehouse.\n"
)
GMAIL_HTML = (
    '<div dir="ltr">Thanks, that <b>works</b>!</div><br><div class="gmail_quote gmail_quote_container">'
    '<div dir="ltr" class="gmail_attr">On Tue, 6 Jan 2026 at 10:15, Shop Support &lt;'
    '<a href="mailto:support@shop.example">support@shop.example</a>&gt; wrote:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
    'padding-left:1ex">Your parcel left our warehouse.</blockquote></div>'
)


def test_gmail_attribution_with_a_mailto_link_is_not_shown(app, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text=GMAIL_TEXT, html=GMAIL_HTML, subject="Re: Order #1001"))
    message = last_inbound()
    assert message.text == "Thanks, that works!"
    assert "Thanks, that <b>works</b>!" in message.html  # the HTML part, not the text, is shown
    assert "wrote" not in message.html and "support@shop.example" not in message.html
    page = ticket_page(client, login, make_agent(), message)
    body = page.split('class="msg-body">', 1)[1].split("</div>", 1)[0]
    assert "wrote" not in body


def test_quoted_text_toggle_full_message_and_original(app, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text=GMAIL_TEXT, html=GMAIL_HTML, subject="Re: Order #1001"))
    message = last_inbound()
    page = ticket_page(client, login, make_agent(), message)
    # A <details> toggle: works without any script, so no inline script is needed.
    toggle = page.split('<details class="email-quoted">', 1)[1].split("</details>", 1)[0]
    assert "Show quoted text" in toggle and "&gt; Your parcel left our warehouse." in toggle
    extras = page.split("data-email-extras>", 1)[1].split("</div>", 1)[0]
    assert "<script" not in extras
    full = client.get(f"/email/messages/{message.id}")
    assert full.status_code == 200 and "&gt; Your parcel left our warehouse." in full.get_data(as_text=True)
    raw = client.get(f"/email/messages/{message.id}/original.eml")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert raw.headers["Content-Disposition"].startswith("attachment")
    assert b"Message-ID: <m1@customer.example>" in raw.data

    api = client.get(f"/api/v1/email/messages/{message.id}").get_json()
    assert api["shown_text"] == "Thanks, that works!" and api["quoted"] is True
    assert "> Your parcel left our warehouse." in api["full_text"]
    api_raw = client.get(f"/api/v1/email/messages/{message.id}/raw")
    assert api_raw.status_code == 200 and api_raw.data == raw.data
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/email/messages/{message_id}/raw" in spec["paths"]


@pytest.mark.parametrize("role,status", [("owner", 200), ("admin", 200), ("manager", 200), ("support", 200)])
def test_original_is_for_inbox_roles(app, listener, client, login, make_agent, role, status):
    smtp_send(listener, make_mail(text="Hi"))
    message = last_inbound()
    login(client, make_agent(role=role))
    assert client.get(f"/api/v1/email/messages/{message.id}/raw").status_code == status
    assert client.get(f"/email/messages/{message.id}/original.eml").status_code == status


def test_original_is_refused_to_other_roles_and_strangers(app, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    message = last_inbound()
    assert client.get(f"/api/v1/email/messages/{message.id}/raw").status_code == 401
    login(client, make_agent(role="analyst"))
    assert client.get(f"/api/v1/email/messages/{message.id}/raw").status_code == 403
    assert client.get(f"/api/v1/email/messages/{message.id}").status_code == 403
    assert client.get(f"/email/messages/{message.id}/original.eml").status_code == 403


def test_api_answers_404_for_unknown_or_non_email_messages(app, listener, client, login, make_agent, fake_channel):
    login(client, make_agent())
    assert client.get("/api/v1/email/messages/999999").status_code == 404
    other = fake_channel.receive("Hello").message
    answer = client.get(f"/api/v1/email/messages/{other.id}")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_a_1500_line_mail_is_shown_whole(app, listener, client, login, make_agent):
    lines = [f"line {n} of my order history" for n in range(1, 1501)]
    smtp_send(listener, make_mail(text="\n".join(lines)))
    message = last_inbound()
    assert message.text.splitlines() == lines
    assert "line 1500 of my order history" in ticket_page(client, login, make_agent(), message)


def test_a_mail_too_long_for_the_thread_says_so_and_offers_the_full_text(app, listener, client, login, make_agent):
    lines = [f"paragraph {n}: " + "x" * 80 for n in range(1, 1201)]  # about 110 kB, over the 64 kB shown
    smtp_send(listener, make_mail(text="\n".join(lines)))
    message = last_inbound()
    assert "paragraph 1200" not in message.text
    page = ticket_page(client, login, make_agent(), message)
    assert "This message is too long to show here in full." in page
    assert f'href="/email/messages/{message.id}"' in page
    full = client.get(f"/email/messages/{message.id}").get_data(as_text=True)
    assert "paragraph 1200: " in full
    assert client.get(f"/api/v1/email/messages/{message.id}").get_json()["shortened"] is True


def test_an_attachment_over_the_limit_is_listed_as_skipped(app, listener, client, login, make_agent):
    mail = make_mail(text="See the video")
    mail.add_attachment(b"v" * 100_000, maintype="video", subtype="mp4", filename="unboxing.mp4")  # limit 64 KiB
    smtp_send(listener, mail)
    message = last_inbound()
    assert message.attachments == []
    page = ticket_page(client, login, make_agent(), message)
    assert "Not stored: unboxing.mp4 (100000 bytes): larger than the attachment limit." in page
    assert f"/email/messages/{message.id}/original.eml" in page
    raw = client.get(f"/email/messages/{message.id}/original.eml")
    assert b"unboxing.mp4" in raw.data
    api = client.get(f"/api/v1/email/messages/{message.id}").get_json()
    assert api["skipped_attachments"] == [{"filename": "unboxing.mp4", "size": 100_000, "reason": "too_large"}]


def test_each_message_shows_its_own_sender(app, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text="Where is my parcel?", message_id="<s1@customer.example>"))
    smtp_send(
        listener,
        make_mail(
            text="Adding our warehouse lead.",
            sender="Bob Colleague <bob@customer.example>",
            message_id="<s2@customer.example>",
            in_reply_to="<s1@customer.example>",
            references="<s1@customer.example>",
        ),
        sender="bob@customer.example",
    )
    first, second = Message.select().where(Message.direction == "inbound").order_by(Message.id)
    assert first.ticket_id == second.ticket_id
    assert second.meta["sender"] == {"name": "Bob Colleague", "email": "bob@customer.example"}
    page = ticket_page(client, login, make_agent(), second)
    colleague = page.split(f'id="message-{second.id}"', 1)[1].split("</li>", 1)[0]
    assert "Bob Colleague" in colleague and "Other sender" in colleague and "Anna" not in colleague
    customer = page.split(f'id="message-{first.id}"', 1)[1].split("</li>", 1)[0]
    assert "Anna Buyer" in customer and "Customer" in customer
    api = client.get(f"/api/v1/email/messages/{second.id}").get_json()
    assert api["sender"] == {"name": "Bob Colleague", "email": "bob@customer.example"}


def test_contact_form_mail_is_answered_at_the_reply_to(app, listener, relay, client, login, make_agent):
    smtp_send(
        listener,
        make_mail(
            text="Name: Anna\nMessage: Do you ship to Norway?",
            sender="Shop Contact Form <no-reply@forms.shop.example>",
            headers={"Reply-To": "Anna Buyer <anna@customer.example>"},
        ),
        sender="no-reply@forms.shop.example",
    )
    message = last_inbound()
    ticket = Ticket.get_by_id(message.ticket_id)
    profile = Profile.get_by_id(ticket.profile_id)
    assert profile.email == "anna@customer.example" and profile.name == "Anna Buyer"
    page = ticket_page(client, login, make_agent(), message)
    assert "on behalf of anna@customer.example" in page
    reply(ticket, make_agent(), "Yes, we do.")
    [sent] = relay.messages
    assert sent["rcpt_tos"] == ["anna@customer.example"]


def test_cc_on_inbound_is_kept_and_shown(app, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text="Hi", headers={"Cc": "Partner <partner@customer.example>"}))
    message = last_inbound()
    assert message.meta["cc"] == ["partner@customer.example"]
    assert "Cc: partner@customer.example" in ticket_page(client, login, make_agent(), message)
    assert client.get(f"/api/v1/email/messages/{message.id}").get_json()["cc"] == ["partner@customer.example"]


def test_utf8_labelled_us_ascii_is_recovered(app, listener):
    raw = (
        b"From: Anna <anna@customer.example>\r\nTo: support@shop.example\r\nSubject: Caf\xc3\xa9\r\n"
        b"Message-ID: <ascii@customer.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="us-ascii"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        b"Le caf\xc3\xa9 cr\xc3\xa8me est arriv\xc3\xa9 froid\r\n"
    )
    smtp_send(listener, raw)
    assert last_inbound().text == "Le café crème est arrivé froid"


def test_duplicate_deliveries_leave_one_raw_file(app, listener):
    import threading

    mail = make_mail(text="Sent by a server that retries eagerly", message_id="<dup@customer.example>")
    barrier = threading.Barrier(6)

    def deliver():
        barrier.wait()
        smtp_send(listener, mail)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [message] = Message.select().where(Message.direction == "inbound")
    assert os.listdir(app.config["ATTACHMENTS_DIR"]) == [message.meta["raw_key"]]


def related_mail(html):
    mail = EmailMessage()
    mail["From"] = "Anna Buyer <anna@customer.example>"
    mail["To"] = SUPPORT
    mail["Subject"] = "Photo"
    mail["Message-ID"] = "<img@customer.example>"
    mail.set_content("See the photo")
    mail.add_alternative(html, subtype="html")
    mail.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<photo1@x>")
    return mail


def test_inline_cid_images_render(app, listener, client, login, make_agent):
    smtp_send(listener, related_mail('<p>Broken lid:</p><img src="cid:photo1@x" alt="photo">'))
    message = last_inbound()
    [stored] = message.attachments
    src = f"/attachments/{message.id}/{stored['storage_key']}?inline=1"
    assert f'src="{src}"' in ticket_page(client, login, make_agent(), message)
    image = client.get(src)
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")


def test_remote_images_are_blocked_until_allowed(app, listener, client, login, make_agent):
    pixel = "https://tracker.example/open.gif?u=anna&amp;c=7"
    smtp_send(listener, make_mail(text="Hi", html=f'<p>Hi</p><img src="{pixel}" width="1" height="1">'))
    message = last_inbound()
    page = ticket_page(client, login, make_agent(), message)
    assert "tracker.example" not in page
    assert "/email/static/blocked-image.svg?n=0" in page and "1 remote image blocked." in page
    assert client.get("/email/static/blocked-image.svg").status_code == 200
    answer = client.post(f"/email/messages/{message.id}/images")
    assert answer.status_code == 302
    page = client.get(f"/t/{message.ticket_id}").get_data(as_text=True)
    assert f'src="{pixel}"' in page and "remote image blocked" not in page
    assert client.get(f"/api/v1/email/messages/{message.id}").get_json()["images_allowed"] is True


def test_dropped_mail_is_listed_for_admins(app, listener, client, login, make_agent):
    smtp_send(
        listener,
        make_mail(
            text="Out of office", sender="list@lists.example", subject="[list] digest", headers={"Precedence": "list"}
        ),
        sender="list@lists.example",
    )
    login(client, make_agent(role="admin"))
    page = client.get("/email/dropped").get_data(as_text=True)
    assert "list@lists.example" in page and "[list] digest" in page and "Precedence: bulk, junk, list" in page
    assert "Dropped email" in client.get("/settings").get_data(as_text=True)
    items = client.get("/api/v1/email/dropped").get_json()["items"]
    assert [(i["sender"], i["reason"]) for i in items] == [("list@lists.example", "precedence")]
    assert items[0]["received_at"].endswith("+00:00")
    login(client, make_agent(role="support"))
    assert client.get("/email/dropped").status_code == 403
    assert client.get("/api/v1/email/dropped").status_code == 403


def test_dropped_list_pages_with_a_cursor(app, listener, client, login, make_agent):
    for n in range(3):
        smtp_send(
            listener,
            make_mail(text="Auto", message_id=f"<auto{n}@x.example>", headers={"Auto-Submitted": "auto-replied"}),
        )
    login(client, make_agent(role="owner"))
    first = client.get("/api/v1/email/dropped?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"/api/v1/email/dropped?limit=2&cursor={first['next_cursor']}").get_json()
    assert [i["message_id"] for i in rest["items"]] == ["auto0@x.example"] and rest["next_cursor"] is None
    assert client.get("/api/v1/email/dropped?cursor=abc").status_code == 400


def test_delivery_error_is_shown_and_a_failed_reply_can_be_retried(app, listener, relay, client, login, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    agent = make_agent()
    relay.rcpt_answers.append("451 4.7.1 Greylisted, try later")
    queued = reply(ticket, agent, "Hello")
    page = ticket_page(client, login, agent, queued)
    assert "Not delivered yet after 1 attempt; retrying automatically. Last error:" in page and "451" in page

    relay.rcpt_answers.append("550 5.1.1 Mailbox unavailable")
    failed = reply(ticket, agent, "Hello again")
    assert Message.get_by_id(failed.id).delivery_state == "failed"
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert f'action="/email/messages/{failed.id}/retry"' in page and "Retry now" in page
    # The mailbox is back: "retry now" through the UI delivers it.
    assert client.post(f"/email/messages/{failed.id}/retry").status_code == 302
    assert Message.get_by_id(failed.id).delivery_state == "sent"
    assert client.post(f"/api/v1/email/messages/{failed.id}/retry").get_json()["error"]["code"] == "not_failed"


def test_retry_now_through_the_api(app, listener, relay, client, login, make_agent):
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    relay.rcpt_answers.append("550 5.1.1 Mailbox unavailable")
    failed = reply(ticket, make_agent(), "Hello")
    login(client, make_agent(role="analyst"))
    assert client.post(f"/api/v1/email/messages/{failed.id}/retry").status_code == 403
    login(client, make_agent(role="support"))
    answer = client.post(f"/api/v1/email/messages/{failed.id}/retry")
    assert answer.status_code == 200 and answer.get_json()["delivery_state"] == "sent"
    assert len(relay.messages) == 1


def test_retry_schedule_is_a_setting(app, listener, relay, make_agent, clock):
    from app.models import Outbox
    from app.services.outbox import retry_due

    app.extensions["helpline.plugins"].set_settings("email", {"retry_attempts": 3, "retry_base_seconds": 600})
    smtp_send(listener, make_mail(text="Hi"))
    ticket = Ticket.get_by_id(last_inbound().ticket_id)
    relay.rcpt_answers.extend(["451 4.3.0 down"] * 3)
    out = reply(ticket, make_agent(), "Hello")
    row = Outbox.get(Outbox.message == out.id)
    assert row.next_attempt_at == clock.now() + dt.timedelta(seconds=600)
    clock.advance(seconds=600)
    retry_due()
    assert Outbox.get_by_id(row.id).next_attempt_at == clock.now() + dt.timedelta(seconds=1200)
    clock.advance(seconds=1200)
    retry_due()
    assert Message.get_by_id(out.id).delivery_state == "failed"  # the third attempt was the last


def test_reply_with_files_and_cc_from_the_composer(app, listener, relay, client, login, make_agent):
    import io

    smtp_send(listener, make_mail(text="Hi", headers={"Cc": "Partner <partner@customer.example>, " + SUPPORT}))
    ticket_id = last_inbound().ticket_id
    page = ticket_page(client, login, make_agent(), last_inbound())
    assert 'id="email-files"' in page and f'formaction="/email/tickets/{ticket_id}/reply"' in page
    answer = client.post(
        f"/email/tickets/{ticket_id}/reply",
        data={"text": "Invoice attached.", "keep_cc": "1", "files": [(io.BytesIO(b"%PDF-1.4 inv"), "invoice.pdf")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    [sent] = relay.messages
    mail = sent["message"]
    assert mail["Cc"] == "partner@customer.example"
    assert sorted(sent["rcpt_tos"]) == ["anna@customer.example", "partner@customer.example"]
    [part] = list(mail.iter_attachments())
    assert part.get_filename() == "invoice.pdf" and part.get_content() == b"%PDF-1.4 inv"
    out = Message.select().where(Message.direction == "outbound").get()
    assert [a["filename"] for a in out.attachments] == ["invoice.pdf"]


def test_reply_with_files_through_the_api_is_bounded(app, listener, relay, client, login, make_agent):
    import io

    smtp_send(listener, make_mail(text="Hi", headers={"Cc": "partner@customer.example"}))
    ticket_id = last_inbound().ticket_id
    login(client, make_agent())
    too_big = client.post(
        f"/api/v1/email/tickets/{ticket_id}/replies",
        data={"text": "Video", "files": [(io.BytesIO(b"v" * 70_000), "clip.mp4")]},  # limit 64 KiB
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 400 and too_big.get_json()["error"]["code"] == "too_large"
    assert relay.messages == []
    answer = client.post(
        f"/api/v1/email/tickets/{ticket_id}/replies",
        data={"text": "Here", "files": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["cc"] == [] and Message.get_by_id(body["id"]).delivery_state == "sent"
    assert [a["filename"] for a in body["attachments"]] == ["a.txt", "b.txt"]
    assert relay.messages[0]["message"]["Cc"] is None
    assert len(list(relay.messages[0]["message"].iter_attachments())) == 2
    misnamed = client.post(
        f"/api/v1/email/tickets/{ticket_id}/replies",
        data={"text": "Here", "file": [(io.BytesIO(b"a"), "a.txt")]},  # the field is "files"
        content_type="multipart/form-data",
    )
    assert misnamed.status_code == 422 and misnamed.get_json()["error"]["fields"] == {"file": ["Unknown field."]}
    assert len(relay.messages) == 1
    login(client, make_agent(role="analyst"))
    denied = client.post(f"/api/v1/email/tickets/{ticket_id}/replies", data={"text": "x"})
    assert denied.status_code == 403


def test_repeated_automatic_mail_keeps_one_raw_file(app, listener):
    from plugins.email.models import DroppedEmail

    mail = make_mail(text="I am away", message_id="<away@x.example>", headers={"Auto-Submitted": "auto-replied"})
    smtp_send(listener, mail)
    smtp_send(listener, mail)
    [row] = DroppedEmail.select()
    assert os.listdir(app.config["ATTACHMENTS_DIR"]) == [row.raw_key]
