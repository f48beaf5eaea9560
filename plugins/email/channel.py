"""The email channel: replies go out by SMTP with threading headers."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import CardFact, Channel, ChannelCard, DeliveryError, Message, Refusal, SendResult, storage

from .addresses import reply_address, reply_message_id, strip_id
from .smtp_client import send as smtp_send

MAX_REFERENCES = 20


class EmailChannel(Channel):
    """Email: one ticket per thread; a reply to a closed ticket reopens it."""

    slug = "email"
    label = _l("Email")
    reopens_closed = True

    def thread_key(self, inbound):
        """One conversation per email thread: the root Message-ID its
        headers name, else the message's own."""
        return inbound.meta.get("thread_root") or inbound.external_id

    def can_reply(self, ticket):
        """Refuse when the customer has no email address."""
        if not ticket.profile.email:
            return Refusal("no_email_address", _("This customer has no email address to reply to."))
        return None

    def card(self, ticket):
        """The addresses of the customer's latest email: who sent it, where
        to (our address), its Cc and a Reply-To, as stored at ingest."""
        latest = (
            Message.select(Message.meta)
            .where((Message.ticket == ticket.id) & (Message.channel == self.slug) & (Message.direction == "inbound"))
            .order_by(Message.id.desc())
            .first()
        )
        meta = (latest.meta or {}) if latest else {}
        cc = [a for a in meta.get("cc") or [] if isinstance(a, str)]
        to = [a for a in meta.get("to") or [] if isinstance(a, str) and a not in cc]
        facts = []
        sender = meta.get("from") or ticket.profile.email
        if sender:
            facts.append(CardFact(_("From"), sender, href=f"mailto:{sender}"))
        check = meta.get("sender_check")
        if isinstance(check, dict):
            verified = bool(check.get("verified"))
            result = str(check.get("reason") or "")
            if result == "no_results":
                result = _("no results from a trusted mail server")
            facts.append(
                CardFact(
                    _("Sender check"),
                    _("verified (%(result)s)", result=result)
                    if verified
                    else _("not verified (%(result)s)", result=result),
                    state="verified" if verified else "unverified",
                )
            )
        if meta.get("reply_to") and meta["reply_to"] != sender:
            facts.append(CardFact(_("Reply-To"), meta["reply_to"]))
        if to:
            facts.append(CardFact(_("To"), ", ".join(to)))
        facts.append(CardFact(_("Cc"), ", ".join(cc) if cc else _("nobody"), state="cc" if cc else "no_cc"))
        return ChannelCard(_("Email addresses"), facts)

    def retry_schedule(self):
        """The merchant's schedule: mail servers can be down for hours, far
        longer than the deployment's default retries last."""
        attempts, base = self.settings.get("retry_attempts"), self.settings.get("retry_base_seconds")
        return (attempts, base) if attempts and base else None

    def send(self, outbound):
        """Send a reply by SMTP; the new Message-ID becomes its external id."""
        settings = self.settings
        if not settings.get("smtp_host") or not settings.get("support_addresses"):
            raise DeliveryError(
                _("Email is not configured: set an SMTP server and a support address."), retryable=False
            )
        if not outbound.to_email:
            raise DeliveryError(_("This customer has no email address to reply to."), retryable=False)
        message = build_reply(settings, outbound)
        smtp_send(settings, message)
        return SendResult(external_id=strip_id(message["Message-ID"]))


def one_line(value):
    """Header-safe text: names from other channels may hold line breaks."""
    return " ".join(str(value or "").split())[:200]


def subject_for(subject):
    """``Re: <subject>`` without stacking prefixes."""
    subject = " ".join((subject or "").split())
    if not subject:
        return _("Re: your message")
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def build_reply(settings, outbound) -> EmailMessage:
    """The customer-facing email for an agent reply."""
    message = EmailMessage()
    from_name = one_line(settings.get("from_name"))
    message["From"] = formataddr((from_name, settings["support_addresses"][0]))
    message["To"] = formataddr((one_line(outbound.to_name), outbound.to_email))
    cc = [a for a in (outbound.meta or {}).get("cc") or [] if isinstance(a, str) and "@" in a][:20]
    if cc:
        message["Cc"] = ", ".join(cc)  # the agent kept the customer's Cc
    message["Subject"] = subject_for(outbound.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{reply_message_id(settings, outbound.message_id)}>"
    history = [h for h in outbound.history_external_ids if h]
    if history:
        message["In-Reply-To"] = f"<{history[-1]}>"
        # Keep the root and the latest ids: mail clients need both ends.
        refs = history if len(history) <= MAX_REFERENCES else history[:1] + history[-(MAX_REFERENCES - 1) :]
        message["References"] = " ".join(f"<{h}>" for h in refs)
    token_address = reply_address(settings, outbound.ticket_id)
    if token_address:
        message["Reply-To"] = formataddr((from_name, token_address))
    message["X-Helpline"] = f"ticket={outbound.ticket_id}; message={outbound.message_id}"
    message.set_content(outbound.text or "")
    if outbound.html:
        message.add_alternative(outbound.html, subtype="html")
    for item in outbound.attachments or []:
        try:
            data = storage.read(item.get("storage_key"))
        except storage.MissingFile as exc:
            # Never send a reply without the file the agent attached: the
            # delivery error names it (a host-local STORAGE on several hosts?).
            raise DeliveryError(
                _("The attachment %(name)s is missing from file storage.", name=item.get("filename") or "?")
            ) from exc
        maintype, _sep, subtype = (item.get("content_type") or "application/octet-stream").partition("/")
        message.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=item.get("filename") or "attachment",
        )
    return message
