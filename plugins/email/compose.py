"""Email replies with what only email has: files attached by the agent
(stored through the storage service, sent as MIME parts) and the Cc of the
customer's latest message kept on the reply."""

from __future__ import annotations

from flask_babel import gettext as _

from app.plugin import Message, NotFound, ReplyRefused, ServiceError, add_note, get_ticket, refusal_for, reply, storage

from .addresses import ticket_from_address

SLUG = "email"
MAX_FILES = 10


def email_ticket(ticket_id):
    """Ticket ``ticket_id`` when it is an email conversation, else NotFound."""
    ticket = get_ticket(ticket_id)
    if ticket.channel != SLUG:
        raise NotFound(_("This ticket is not an email conversation."), code="not_found")
    return ticket


def cc_of(ticket, settings):
    """The Cc addresses of the customer's latest email on ``ticket`` that a
    reply can keep: not the customer, not our own addresses."""
    latest = (
        Message.select(Message.meta)
        .where((Message.ticket == ticket.id) & (Message.channel == SLUG) & (Message.direction == "inbound"))
        .order_by(Message.id.desc())
        .first()
    )
    own = set(settings.get("support_addresses") or [])
    customer = (ticket.profile.email or "").lower()
    cc = (latest.meta or {}).get("cc") or [] if latest else []
    return [a for a in cc if a != customer and a not in own and ticket_from_address(settings, a) is None]


def send(ticket, agent, text, settings, files=(), keep_cc=False, mode="reply"):
    """A reply (or, without files, a note) from the composer.

    ``files`` are ``(filename, content_type, bytes)``: at most
    :data:`MAX_FILES`, each at most ``max_attachment_bytes``, together at most
    ``max_message_bytes``. Nothing is stored when the reply is refused."""
    files = list(files)
    if mode == "note":
        if files:
            raise ServiceError(_("Files can only be attached to replies."), code="invalid", field="files")
        return add_note(ticket, agent, text)
    if len(files) > MAX_FILES:
        raise ServiceError(_("Attach at most %(n)d files.", n=MAX_FILES), code="too_many_files", field="files")
    if sum(len(data) for _name, _type, data in files) > settings["max_message_bytes"]:
        raise ServiceError(
            _("The files together are larger than %(n)d bytes.", n=settings["max_message_bytes"]),
            code="too_large",
            field="files",
        )
    refusal = refusal_for(ticket)
    if refusal is not None:
        raise ReplyRefused(refusal)
    stored = []
    try:
        for name, ctype, data in files:
            stored.append(storage.save(data, name, ctype, max_bytes=settings["max_attachment_bytes"]))
        cc = cc_of(ticket, settings) if keep_cc else []
        return reply(ticket, agent, text, attachments=[a.as_dict() for a in stored], meta={"cc": cc} if cc else None)
    except Exception:
        for item in stored:  # a refused reply keeps no orphan files
            storage.delete(item.storage_key)
        raise


def read_uploads(uploads, settings):
    """``(filename, content_type, bytes)`` of uploaded files, each read at
    most one byte past the limit (so a huge upload is refused, not held)."""
    limit = settings["max_attachment_bytes"]
    out = []
    for upload in list(uploads)[: MAX_FILES + 1]:
        if not upload or not upload.filename:
            continue
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise ServiceError(
                _("%(name)s is larger than %(n)d bytes.", name=storage.safe_filename(upload.filename), n=limit),
                code="too_large",
                field="files",
            )
        out.append((upload.filename, upload.mimetype or "application/octet-stream", data))
    return out
