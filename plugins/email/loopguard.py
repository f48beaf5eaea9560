"""The loop and noise guard: automatic mail (auto-replies, bounces, lists,
our own outbound mail coming back) never creates a ticket or triggers a
reply, or two autoresponders would answer each other for ever."""

from .addresses import is_own_message_id

BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
DAEMON_LOCALS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


def noise_reason(parsed, settings, envelope_sender=None):
    """Why this message is automatic and must be dropped, or None."""
    headers = parsed.headers
    if "x-helpline" in headers:
        return "own_mail"
    if is_own_message_id(settings, parsed.message_id):
        return "own_mail"
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto_submitted"
    if headers.get("precedence", "").strip().lower() in BULK_PRECEDENCE:
        return "precedence"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "autoreply_header"
    if parsed.content_type == "multipart/report" or "x-failed-recipients" in headers:
        return "bounce"
    senders = [parsed.sender_email or ""]
    if envelope_sender is not None:
        if envelope_sender.strip() in ("", "<>"):
            return "bounce"  # the null reverse-path is reserved for delivery reports
        senders.append(envelope_sender)
    for sender in senders:
        local = sender.strip().lower().split("@", 1)[0]
        if local in DAEMON_LOCALS:
            return "bounce"
    own = set(settings.get("support_addresses") or [])
    if parsed.sender_email and parsed.sender_email in own:
        return "own_mail"
    return None
