"""The email plugin's settings. Other plugins read these keys, so their
names are part of the plugin's contract."""

import re

import marshmallow as ma
from flask_babel import lazy_gettext as _l

SECURITY = ("none", "starttls", "ssl")


class AddressList(ma.fields.List):
    """A list of addresses; also takes one string separated by commas or
    line breaks, which is what a settings form or a shell sends."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [part for part in re.split(r"[,;\s]+", value) if part]
        return super()._deserialize(value, attr, data, **kwargs)


class EmailSettings(ma.Schema):
    """Email channel settings (validated on write, defaults filled on read)."""

    support_addresses = AddressList(
        ma.fields.Email(validate=ma.validate.Length(max=254)),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={
            "label": _l("Support addresses"),
            "help": _l("Mail to these addresses becomes tickets; replies are sent from the first."),
        },
    )
    from_name = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=100), metadata={"label": _l("From name")}
    )
    smtp_host = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=253), metadata={"label": _l("SMTP server")}
    )
    smtp_port = ma.fields.Integer(
        load_default=587, validate=ma.validate.Range(min=1, max=65535), metadata={"label": _l("SMTP port")}
    )
    smtp_security = ma.fields.String(
        load_default="starttls", validate=ma.validate.OneOf(SECURITY), metadata={"label": _l("SMTP security")}
    )
    smtp_username = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=254), metadata={"label": _l("SMTP username")}
    )
    smtp_password = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=500),
        metadata={
            "label": _l("SMTP password"),
            "secret": True,
            # Where the password goes: changing any of these needs it typed again.
            "secret_for": ["smtp_host", "smtp_port", "smtp_security", "smtp_username"],
        },
    )
    smtp_timeout = ma.fields.Integer(
        load_default=30, validate=ma.validate.Range(min=1, max=300), metadata={"label": _l("SMTP timeout (seconds)")}
    )
    inbound_secret = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=200),
        metadata={
            "label": _l("Inbound webhook secret"),
            "secret": True,
            "help": _l("HMAC-SHA256 key for POST /email/inbound."),
        },
    )
    max_message_bytes = ma.fields.Integer(
        load_default=25 * 1024 * 1024,
        validate=ma.validate.Range(min=1024, max=50 * 1024 * 1024),
        metadata={"label": _l("Largest message (bytes)")},
    )
    max_attachment_bytes = ma.fields.Integer(
        load_default=10 * 1024 * 1024,
        validate=ma.validate.Range(min=1, max=50 * 1024 * 1024),
        metadata={"label": _l("Largest attachment (bytes)")},
    )
    retry_attempts = ma.fields.Integer(
        load_default=12,
        validate=ma.validate.Range(min=1, max=30),
        metadata={
            "label": _l("Delivery attempts per reply"),
            "help": _l("A reply that cannot be delivered is tried this many times before it is marked failed."),
        },
    )
    retry_base_seconds = ma.fields.Integer(
        load_default=60,
        validate=ma.validate.Range(min=10, max=3600),
        metadata={
            "label": _l("First retry after (seconds)"),
            "help": _l("Each further retry waits twice as long as the one before."),
        },
    )
    smtp_listen_host = ma.fields.String(
        load_default="127.0.0.1",
        validate=ma.validate.Length(min=1, max=253),
        metadata={"label": _l("SMTP listener address")},
    )
    smtp_listen_port = ma.fields.Integer(
        load_default=2525, validate=ma.validate.Range(min=0, max=65535), metadata={"label": _l("SMTP listener port")}
    )
    reply_domain = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            r"^$|^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
            error=_l("Not a domain name."),
        ),
        metadata={
            "label": _l("Reply domain"),
            "help": _l("Domain of the per-ticket reply addresses; empty uses the support address."),
        },
    )

    @ma.post_load
    def _lowercase_addresses(self, data, **kwargs):
        data["support_addresses"] = [a.strip().lower() for a in data.get("support_addresses", [])]
        data["reply_domain"] = data.get("reply_domain", "").lower()
        return data
