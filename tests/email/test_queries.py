"""Inbound cost does not grow with attachments or References (no N+1), and
the webhook's queries are pinned per path (issue 16; docs/benchmarks.md)."""

from email_kit import SECRET, make_mail
from playhouse.test_utils import count_queries

from app.db import is_postgres
from app.models import Message
from app.plugins import get_plugins
from plugins.email.inbound import receive
from plugins.email.views import signature_for

# On SQLite, request included (the plugin-state check is one of them).
NEW_SENDER, NEW_THREAD, REPLY, REDELIVERY = 14, 9, 6, 2


def mail_with(n, mid):
    refs = " ".join(f"<old{i}@customer.example>" for i in range(n * 20))
    mail = make_mail(text="Photos attached", message_id=f"<{mid}@customer.example>", references=refs or None)
    for i in range(n):
        mail.add_attachment(b"data%d" % i, maintype="image", subtype="png", filename=f"p{i}.png")
    return bytes(mail)


def test_inbound_query_count_is_flat(app, email_settings):
    receive(mail_with(1, "warm"), email_settings)  # first contact creates the profile: not what we measure
    with count_queries() as one:
        receive(mail_with(1, "one"), email_settings)
    with count_queries() as five:
        receive(mail_with(5, "five"), email_settings)
    assert five.count == one.count


def post(client, mail):
    raw = bytes(mail)
    headers = {"Content-Type": "message/rfc822", "X-Helpline-Signature": signature_for(SECRET, raw)}
    response = client.post("/email/inbound", data=raw, headers=headers)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.json["outcome"]


def test_inbound_email_takes_a_fixed_number_of_queries(app, client, email_settings):
    """Like tests/test_ingest.py, the reports plugin is off: its fact sync is
    a queued task in production but runs inline in tests."""
    get_plugins().set_enabled("reports", False)
    post(client, make_mail(message_id="<warm@customer.example>", sender="Warm <warm@customer.example>"))

    with count_queries() as new_sender:
        assert post(client, make_mail(message_id="<a1@customer.example>")) == "created"
    with count_queries() as new_thread:
        assert post(client, make_mail(message_id="<a2@customer.example>", subject="Another order")) == "created"
    with count_queries() as reply:
        outcome = post(
            client,
            make_mail(
                message_id="<a3@customer.example>",
                in_reply_to="<a2@customer.example>",
                references="<a2@customer.example>",
            ),
        )
        assert outcome == "appended"
    with count_queries() as redelivery:
        assert post(client, make_mail(message_id="<a3@customer.example>")) == "duplicate"

    assert Message.select().where(Message.external_id == "a3@customer.example").count() == 1
    # PostgreSQL adds two advisory locks (message id, thread) and repeats the
    # re-delivery check under them; SQLite's writer lock makes them unneeded.
    extra = 3 if is_postgres() else 0
    counts = (new_sender.count, new_thread.count, reply.count, redelivery.count)
    assert counts == (NEW_SENDER + extra, NEW_THREAD + extra, REPLY + extra, REDELIVERY), counts


def test_a_redelivery_is_recognised_from_its_headers_in_one_query(app, email_settings):
    raw = bytes(make_mail(text="Only once", message_id="<once@customer.example>"))
    assert receive(raw, email_settings).outcome == "created"
    with count_queries() as again:
        assert receive(raw, email_settings).outcome == "duplicate"
    assert again.count == 1
    no_id = bytes(make_mail(text="No Message-ID header", message_id=None))
    first = receive(no_id, email_settings)
    with count_queries() as again:
        second = receive(no_id, email_settings)
    assert (second.outcome, second.message_id, again.count) == ("duplicate", first.message_id, 1)


def test_headers_first_reads_the_id_the_full_parse_reads(app, email_settings):
    """The quick header read and the parse agree, or the quick read steps
    aside (several Message-ID headers): no message is ever taken for another."""
    from plugins.email.parsing import header_message_id, parse

    folded = b"From: a@customer.example\r\nMessage-ID:\r\n <folded@customer.example>\r\nSubject: x\r\n\r\nHello\r\n"
    twice = b"From: a@customer.example\nMessage-ID: <one@customer.example>\nMessage-ID: <two@customer.example>\n\nHi\n"
    assert header_message_id(folded) == parse(folded).message_id == "folded@customer.example"
    assert header_message_id(twice) is None and parse(twice).message_id == "one@customer.example"

    assert receive(folded, email_settings).outcome == "created"
    with count_queries() as again:
        assert receive(folded, email_settings).outcome == "duplicate"
    assert again.count == 1
    assert receive(twice, email_settings).outcome == "created"
    assert receive(twice, email_settings).outcome == "duplicate"
