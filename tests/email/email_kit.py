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
            self.messages.append({
                "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "message": BytesParser(policy=policy.default).parsebytes(envelope.original_content
                                                                         or envelope.content)})
        return "250 OK"


def make_mail(text="Hello", subject="Order #1001", sender="Anna Buyer <anna@customer.example>",
              to=SUPPORT, message_id="<m1@customer.example>", in_reply_to=None, references=None, html=None,
              headers=None):
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
