"""Inbound mail, whichever way it arrived (SMTP listener or provider
webhook): keep the raw bytes, parse, run the loop guard, thread, ingest."""

from __future__ import annotations

import dataclasses
import html as html_lib
import logging
import re

from flask import current_app

from app.plugin import (
    Inbound,
    Message,
    Sender,
    ServiceError,
    ingest,
    sanitize,
    storage,
    stored_message,
    text_to_html,
)

from .addresses import ticket_from_address
from .authcheck import check as check_sender
from .images import block_remote, link_inline
from .loopguard import noise_reason
from .models import DroppedEmail
from .parsing import header_message_id, parse
from .quoting import strip_html, strip_text

log = logging.getLogger(__name__)
SLUG = "email"
MAX_HTML_CHARS = 1024 * 1024
# Senders that nobody reads: their Reply-To names the customer.
NO_REPLY = re.compile(r"(no|do[-_.]?not)[-_.]?reply(\+.*)?|mailer|forms?|web[-_.]?forms?|wordpress", re.IGNORECASE)


@dataclasses.dataclass
class Received:
    """What became of one inbound message."""

    outcome: str  # created | appended | reopened | duplicate | dropped
    message_id: str
    ticket_id: int | None = None
    reason: str | None = None


def receive(raw: bytes, settings, envelope_sender: str | None = None, envelope_recipients=(), via="http") -> Received:
    """Turn raw RFC 5322 bytes into a ticket message (or a dropped record).
    ``settings`` are the email plugin's, which every caller has already read.
    Never raises for bad input; storage or database failures propagate so
    the caller answers an error and the sender retries."""
    # A re-delivery is recognised from the headers alone, before the MIME parse.
    quick_id = header_message_id(raw)
    if quick_id is not None:
        existing = stored_message(SLUG, quick_id)
        if existing is not None:
            return Received("duplicate", quick_id, existing[1])
    parsed = parse(raw)
    if parsed.message_id != quick_id:
        existing = stored_message(SLUG, parsed.message_id)
        if existing is not None:
            return Received("duplicate", parsed.message_id, existing[1])

    reason = noise_reason(parsed, settings, envelope_sender)
    if reason is not None:
        return _drop(raw, parsed, reason)
    customer_name, customer_email = customer_of(parsed)

    raw_file = storage.save(raw, "original.eml", "message/rfc822", max_bytes=max(len(raw), 1))
    attachments, skipped, cid_keys = [], [], {}
    for filename, ctype, data, content_id in parsed.attachments:
        try:
            stored = storage.save(data, filename, ctype, max_bytes=settings["max_attachment_bytes"])
        except ServiceError:
            skipped.append({"filename": storage.safe_filename(filename), "size": len(data), "reason": "too_large"})
            continue
        attachments.append(stored)
        if content_id:
            cid_keys[content_id] = stored.storage_key

    full_text = parsed.text
    display_text = strip_text(full_text)
    display_html = ""
    html_too_large = len(parsed.html) > MAX_HTML_CHARS
    if html_too_large:
        # Megabytes of markup (inlined images, newsletters) would bloat every
        # thread view; the text (and the original) carry the content.
        display_html = text_to_html(display_text or _html_to_text(parsed.html[:MAX_HTML_CHARS]))
    elif parsed.html:
        stripped = strip_html(parsed.html)
        if stripped is not None:
            display_html = sanitize(stripped)
        elif display_text != full_text.strip():
            display_html = text_to_html(display_text)  # the quote was only recognisable in the text
        else:
            display_html = sanitize(parsed.html)
    if not display_text and parsed.html:
        display_text = _html_to_text(display_html)
        full_text = full_text or display_text
    display_html, blocked_images = block_remote(display_html)
    if parsed.problems and (not parsed.sender_email or not display_text.strip()):
        # Hardly parseable: let the agent download the original as it came.
        attachments.append(raw_file)

    limit = current_app.config["MAX_MESSAGE_TEXT"]
    meta = {
        "raw_key": raw_file.storage_key,
        "raw_size": len(raw),
        "via": via,
        "from": parsed.sender_email,
        "sender": {"name": customer_name, "email": customer_email},
        "to": parsed.recipients[:20],
        "cc": parsed.cc,
        "envelope_to": [r.lower() for r in envelope_recipients][:20],
    }
    if parsed.reply_to_email and customer_email == parsed.reply_to_email:
        meta["reply_to"] = parsed.reply_to_email
    if display_text.strip() != full_text.strip():
        meta["full_text"] = full_text[:limit]
        meta["quoted"] = True
    if len(full_text) > limit:
        # Shown shortened, never silently: the UI says so and links the full text.
        meta["full_text_chars"] = len(full_text)
    if len(display_text) > limit:
        meta["truncated"] = True
        display_text = display_text[:limit]
    if parsed.problems:
        meta["parse_problems"] = sorted(set(parsed.problems))[:20]
    if parsed.generated_id:
        meta["generated_message_id"] = True
    # What the headers name as the thread's first message (References, then
    # In-Reply-To); EmailChannel.thread_key keys the conversation by it.
    meta["thread_root"] = parsed.thread_root[:255]
    if skipped:
        meta["skipped_attachments"] = skipped[:20]
    if html_too_large:
        meta["html_too_large"] = len(parsed.html)
    if blocked_images:
        meta["blocked_images"] = blocked_images
    verdict = check_sender(parsed.authentication_results, parsed.sender_email, settings.get("trusted_mail_servers"))
    if verdict is not None:
        meta["sender_check"] = verdict

    inbound = Inbound(
        channel=SLUG,
        external_id=parsed.message_id,
        sender=Sender(name=customer_name, email=customer_email),
        text=display_text,
        html=display_html,
        subject=parsed.subject,
        related_external_ids=parsed.related_ids,
        ticket_hint=_ticket_hint(settings, list(envelope_recipients) + parsed.recipients),
        attachments=attachments,
        meta=meta,
    )
    # Its Message-ID was read above (quick_id or the parsed one): not stored then.
    result = ingest(inbound, unseen=True)
    if result.duplicate:
        # A concurrent delivery of the same message won: its files are the ones kept.
        _remove_files([raw_file, *attachments])
    elif cid_keys and "cid:" in result.message.html:
        html = link_inline(result.message.html, result.message.id, cid_keys)
        Message.update(html=html).where(Message.id == result.message.id).execute()
    return Received(result.outcome, parsed.message_id, result.ticket.id)


def customer_of(parsed):
    """``(name, email)`` of the person to answer. Contact forms and shop
    systems send from a no-reply address with the customer in
    ``Reply-To``: then the customer is the Reply-To address."""
    local = (parsed.sender_email or "").split("@", 1)[0]
    if parsed.reply_to_email and (not parsed.sender_email or NO_REPLY.fullmatch(local)):
        return parsed.reply_to_name, parsed.reply_to_email
    return parsed.sender_name, parsed.sender_email


def _remove_files(stored):
    for item in stored:
        storage.delete(item.storage_key)


def _ticket_hint(settings, addresses):
    for address in addresses:
        ticket_id = ticket_from_address(settings, address)
        if ticket_id is not None:
            return ticket_id
    return None


def _drop(raw, parsed, reason):
    """Record automatic mail without creating anything a human must answer."""
    message_id = parsed.message_id[:255]
    log.info("email %s from %s dropped by the loop guard: %s", parsed.message_id, parsed.sender_email, reason)
    if DroppedEmail.select().where(DroppedEmail.message_id == message_id).exists():
        return Received("dropped", parsed.message_id, reason=reason)  # a repeated delivery: nothing new to keep
    try:
        stored = storage.save(raw, "dropped.eml", "message/rfc822", max_bytes=max(len(raw), 1))
    except Exception:
        log.exception("could not keep the raw bytes of dropped mail %s", parsed.message_id)
        stored = None
    DroppedEmail.insert(
        message_id=message_id,
        sender=(parsed.sender_email or "")[:254],
        subject=parsed.subject[:255],
        reason=reason,
        raw_key=stored.storage_key if stored else None,
    ).on_conflict_ignore().execute()
    if stored is not None:
        kept = DroppedEmail.select(DroppedEmail.raw_key).where(DroppedEmail.message_id == message_id).first()
        if kept is None or kept.raw_key != stored.storage_key:
            _remove_files([stored])  # a concurrent delivery recorded it first
    return Received("dropped", parsed.message_id, reason=reason)


def _html_to_text(markup):
    text = re.sub(r"<(br|/p|/div|/li|/tr)[^>]*>", "\n", markup, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", html_lib.unescape(text)).strip()
