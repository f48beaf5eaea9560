"""Helpers for the email plugin tests (a module name no other test dir uses)."""

import smtplib
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

SUPPORT = "support@shop.example"
SECRET = "webhook-secret"


class RelayHandler:
    """Records what reaches the relay; ``answers`` queues RCPT/DATA replies."""

    def __init__(self):
        self.messages = []
        self.rcpt_answers = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "message": BytesParser(policy=policy.default).parsebytes(
                        envelope.original_content or envelope.content
                    ),
                }
            )
        return "250 OK"


def make_mail(
    text="Hello",
    subject="Order #1001",
    sender="Anna Buyer <anna@customer.example>",
    to=SUPPORT,
    message_id="<m1@customer.example>",
    in_reply_to=None,
    references=None,
    html=None,
    headers=None,
):
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail


def smtp_send(listener, mail, sender=None, recipients=None):
    """Send real mail into the listener; returns smtplib's refused dict."""
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=10) as client:
        if isinstance(mail, (bytes, str)):
            return client.sendmail(sender or "anna@customer.example", recipients or [SUPPORT], mail)
        return client.send_message(mail, from_addr=sender, to_addrs=recipients)


def body_text(message):
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def malformed_corpus():
    """``[(name, raw bytes)]``: mail as broken as the internet sends it."""
    import random

    rng = random.Random(5)
    head = b"From: Anna <anna@customer.example>\r\nTo: support@shop.example\r\nSubject: Broken\r\n"

    def nest(depth):
        return b"".join(
            b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i) for i in range(depth)
        )

    return [
        (
            "truncated_multipart",
            head + b"Message-ID: <trunc@customer.example>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n'
            b"The parcel never came and\r\n--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=photo.png\r\n\r\niVBORw0KGgoAAAANSUhEUgAA",
        ),
        (
            "unknown_charset",
            head + b"Message-ID: <cs1@customer.example>\r\n"
            b'Content-Type: text/plain; charset="x-klingon"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
            b"Qapla\xe9 \xff\xfe my order\r\n",
        ),
        (
            "wrong_charset",
            head + b"Message-ID: <cs2@customer.example>\r\n"
            b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
            b"Le caf\xe9 est froid\r\n",
        ),
        (
            "nested_100",
            head
            + b"Message-ID: <deep100@customer.example>\r\nMIME-Version: 1.0\r\n"
            + nest(100)
            + b"Content-Type: text/plain\r\n\r\nAt the bottom\r\n",
        ),
        (
            "nested_5000",
            head
            + b"Message-ID: <deep@customer.example>\r\nMIME-Version: 1.0\r\n"
            + nest(5000)
            + b"Content-Type: text/plain\r\n\r\nAt the bottom\r\n",
        ),
        (
            "huge_headers",
            b"From: Anna <anna@customer.example>\r\nTo: support@shop.example\r\n"
            b"Message-ID: <huge@customer.example>\r\nSubject: "
            + b"S" * 200_000
            + b"\r\nReferences:"
            + b"".join(b" <ref%d@x.example>\r\n" % i for i in range(5000))
            + b"X-Long: "
            + b"y " * 50_000
            + b"\r\n\r\nBody after huge headers\r\n",
        ),
        ("binary_junk", bytes(rng.getrandbits(8) for _ in range(20_000))),
        ("no_headers", b"just a body, no headers at all\r\n"),
        (
            "bad_base64",
            head + b"Message-ID: <b64@customer.example>\r\nContent-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!not*base64***\r\n",
        ),
        (
            "broken_encoded_words",
            b"From: =?utf-8?b?@@@?= <<<@@>>>\r\nTo: =?x-bogus?q?=ZZ?=\r\n"
            b"Subject: =?utf-8?q?=C3=28broken?= =?unknown?b?AAAA?=\r\nMessage-ID: <ew@customer.example>\r\n\r\nHi\r\n",
        ),
        ("nul_bytes", head + b"Message-ID: <nul@customer.example>\r\n\r\nA\x00B\x00C\r\n"),
        (
            "empty_boundary",
            head + b"Message-ID: <eb@customer.example>\r\n"
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\nstuff\r\n----\r\n",
        ),
        (
            "header_without_colon",
            b"From anna@customer.example\r\nThis is not a header\r\n"
            b"Message-ID: <nocolon@customer.example>\r\n\r\nBody\r\n",
        ),
        (
            "broken_forwarded",
            head + b"Message-ID: <fwd@customer.example>\r\n"
            b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n--F\r\nContent-Type: message/rfc822\r\n\r\n'
            b"Subject: =?utf-8?b?=?=\r\nContent-Type: multipart/alternative\r\n\r\ngarbage\r\n--F--\r\n",
        ),
        ("missing_message_id", head + b"\r\nNo Message-ID here\r\n"),
    ]
