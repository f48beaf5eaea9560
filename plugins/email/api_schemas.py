"""Request and response schemas of the email plugin's REST API."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.plugin import UtcDateTime


class Address(ma.Schema):
    name = fields.String()
    email = fields.String(allow_none=True)


class Skipped(ma.Schema):
    filename = fields.String()
    size = fields.Integer(metadata={"description": "bytes"})
    reason = fields.String(metadata={"description": "too_large: over the max_attachment_bytes setting"})


class SenderCheck(ma.Schema):
    verified = fields.Boolean(metadata={"description": "the trusted mail server confirmed the From address"})
    reason = fields.String(
        metadata={
            "description": "what decided it: dmarc=pass, dkim=pass, spf=pass, dmarc=fail, the results seen, or no_results"
        }
    )
    server = fields.String(allow_none=True, metadata={"description": "the trusted server whose results were read"})


class EmailMessageOut(ma.Schema):
    id = fields.Integer(attribute="message.id")
    ticket_id = fields.Integer(attribute="message.ticket_id")
    sender = fields.Nested(Address, metadata={"description": "who wrote this message (the Reply-To of a form)"})
    reply_to = fields.String(allow_none=True, metadata={"description": "set when the sender was taken from it"})
    to = fields.List(fields.String())
    cc = fields.List(fields.String())
    full_text = fields.String(metadata={"description": "the whole text part, quoted history included, never cut"})
    shown_text = fields.String(attribute="message.text", metadata={"description": "what the thread shows"})
    quoted = fields.Boolean(metadata={"description": "quoted history or a signature was hidden in the thread"})
    shortened = fields.Boolean(metadata={"description": "the thread shows a shortened text"})
    skipped_attachments = fields.List(fields.Nested(Skipped))
    blocked_images = fields.Integer(metadata={"description": "remote images not loaded until allowed"})
    images_allowed = fields.Boolean()
    raw_size = fields.Integer(allow_none=True)
    raw_available = fields.Boolean()
    sender_check = fields.Nested(
        SenderCheck,
        allow_none=True,
        metadata={"description": "null unless the trusted_mail_servers setting was set when the mail arrived"},
    )


class DroppedQuery(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=20))


class DroppedOut(ma.Schema):
    id = fields.Integer()
    message_id = fields.String()
    sender = fields.String()
    subject = fields.String()
    reason = fields.String(metadata={"description": "auto_submitted, precedence, autoreply_header, bounce, own_mail"})
    why = fields.Method("_why")
    received_at = UtcDateTime()

    def _why(self, row):
        from .dropped import why

        return str(why(row.reason))


class DroppedPage(ma.Schema):
    items = fields.List(fields.Nested(DroppedOut))
    next_cursor = fields.String(allow_none=True)


class DeliveryOut(ma.Schema):
    id = fields.Integer()
    delivery_state = fields.String(metadata={"description": "queued, sent or failed"})
    delivery_error = fields.String(allow_none=True, metadata={"description": "the last attempt's error"})
    attempts = fields.Integer()


class ReplyForm(ma.Schema):
    """The whole ``multipart/form-data`` body of a reply: its text fields and
    its files in one schema, so the document has one request body."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=65536))
    keep_cc = fields.Boolean(load_default=False, metadata={"description": "copy the Cc of the customer's latest email"})
    files = fields.List(Upload(), validate=validate.Length(max=10))


class ReplyOut(ma.Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    delivery_state = fields.String()
    attachments = fields.List(fields.Dict())
    cc = fields.Function(lambda m: (m.meta or {}).get("cc") or [])
