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
        load_default="",
        validate=ma.validate.Length(max=100),
        metadata={
            "label": _l("From name"),
            "help": _l("The sender name customers see; empty uses the organization name."),
        },
    )
    smtp_host = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=253),
        metadata={
            "label": _l("SMTP server"),
            "help": _l("Host name of the server that sends replies, such as smtp.example.com."),
        },
    )
    smtp_port = ma.fields.Integer(
        load_default=587,
        validate=ma.validate.Range(min=1, max=65535),
        metadata={"label": _l("SMTP port"), "help": _l("587 for STARTTLS, 465 for SSL, 25 without encryption.")},
    )
    smtp_security = ma.fields.String(
        load_default="starttls",
        validate=ma.validate.OneOf(
            SECURITY, labels=(_l("None (not encrypted)"), _l("STARTTLS"), _l("SSL/TLS from the start"))
        ),
        metadata={"label": _l("SMTP security"), "help": _l("How the connection to the SMTP server is encrypted.")},
    )
    smtp_username = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=254),
        metadata={"label": _l("SMTP username"), "help": _l("Empty when the server needs no login.")},
    )
    smtp_password = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=500),
        metadata={
            "label": _l("SMTP password"),
            "help": _l("Changing the server, port, security or username needs the password typed again."),
            "secret": True,
            # Where the password goes: changing any of these needs it typed again.
            "secret_for": ["smtp_host", "smtp_port", "smtp_security", "smtp_username"],
        },
    )
    smtp_timeout = ma.fields.Integer(
        load_default=30,
        validate=ma.validate.Range(min=1, max=300),
        metadata={
            "label": _l("SMTP timeout"),
            "unit": _l("seconds"),
            "help": _l("How long to wait for the SMTP server before trying again later."),
        },
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
        metadata={
            "label": _l("Largest message"),
            "unit": _l("bytes"),
            "help": _l("Larger incoming mail is refused (26214400 is 25 MB)."),
        },
    )
    max_attachment_bytes = ma.fields.Integer(
        load_default=10 * 1024 * 1024,
        validate=ma.validate.Range(min=1, max=50 * 1024 * 1024),
        metadata={
            "label": _l("Largest attachment"),
            "unit": _l("bytes"),
            "help": _l("Larger attachments are left out of the ticket and listed by name (10485760 is 10 MB)."),
        },
    )
    retry_attempts = ma.fields.Integer(
        load_default=12,
        validate=ma.validate.Range(min=1, max=30),
        metadata={
            "label": _l("Delivery attempts per reply"),
            "unit": _l("attempts"),
            "help": _l("A reply that cannot be delivered is tried this many times before it is marked failed."),
        },
    )
    retry_base_seconds = ma.fields.Integer(
        load_default=60,
        validate=ma.validate.Range(min=10, max=3600),
        metadata={
            "label": _l("First retry after"),
            "unit": _l("seconds"),
            "help": _l("Each further retry waits twice as long as the one before."),
        },
    )
    smtp_listen_host = ma.fields.String(
        load_default="127.0.0.1",
        validate=ma.validate.Length(min=1, max=253),
        metadata={
            "label": _l("SMTP listener address"),
            "help": _l("Where the built-in SMTP server listens for incoming mail (helpline smtp)."),
        },
    )
    smtp_listen_port = ma.fields.Integer(
        load_default=2525,
        validate=ma.validate.Range(min=0, max=65535),
        metadata={
            "label": _l("SMTP listener port"),
            "help": _l("Port of the built-in SMTP server; 0 picks a free one."),
        },
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

    trusted_mail_servers = AddressList(
        ma.fields.String(
            validate=ma.validate.Regexp(
                r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
                error=_l("Not a host name."),
            )
        ),
        load_default=list,
        validate=ma.validate.Length(max=10),
        metadata={
            "label": _l("Trusted mail servers"),
            "help": _l(
                "Host names your mail provider writes in the Authentication-Results header, such as mx.google.com. "
                "When set, mail whose sender they could not verify (SPF, DKIM, DMARC) is marked in the thread."
            ),
        },
    )

    @ma.post_load
    def _lowercase_addresses(self, data, **kwargs):
        data["support_addresses"] = [a.strip().lower() for a in data.get("support_addresses", [])]
        data["reply_domain"] = data.get("reply_domain", "").lower()
        data["trusted_mail_servers"] = [h.strip().lower() for h in data.get("trusted_mail_servers", [])]
        return data
