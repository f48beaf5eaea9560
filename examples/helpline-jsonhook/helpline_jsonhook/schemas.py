"""The merchant's settings and the inbound webhook body. Every string is
bounded; unknown body fields are ignored so providers can add their own."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

MAX_ID = 255
MAX_TEXT = 20000


def _no_nul(value):
    if "\x00" in value:
        raise ma.ValidationError(str(_l("NUL characters are not allowed.")))


class JsonHookSettings(ma.Schema):
    """Settings of the JSON webhook channel."""

    secret = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=200),
        metadata={
            "secret": True,
            "label": _l("Signing secret"),
            "help": _l("Shared with the provider; signs requests both ways. 16 to 200 characters."),
        },
    )
    provider_url = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=2000),
        metadata={"label": _l("Provider URL"), "help": _l("Replies are POSTed here (http or https).")},
    )
    timeout_seconds = ma.fields.Float(
        load_default=10.0,
        validate=ma.validate.Range(min=0.1, max=60),
        metadata={
            "label": _l("Delivery timeout"),
            "unit": _l("seconds"),
            "help": _l("How long a reply may take to reach the provider before it is tried again."),
        },
    )
    contacts_verified = ma.fields.Boolean(
        load_default=False,
        metadata={
            "label": _l("The provider verifies email addresses and phone numbers"),
            "help": _l("Only then does a sender's address find an existing customer."),
        },
    )

    @ma.validates("secret")
    def _secret(self, value, **kwargs):
        if value and len(value) < 16:
            raise ma.ValidationError(str(_l("The secret needs at least 16 characters.")))

    @ma.validates("provider_url")
    def _url(self, value, **kwargs):
        if value:
            ma.validate.URL(require_tld=False, schemes={"http", "https"})(value)


class SenderSchema(ma.Schema):
    """Who wrote, as the provider knows them."""

    id = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=MAX_ID), _no_nul])
    name = ma.fields.String(load_default="", validate=[ma.validate.Length(max=200), _no_nul])
    email = ma.fields.Email(load_default=None, allow_none=True, validate=ma.validate.Length(max=254))
    phone = ma.fields.String(load_default=None, allow_none=True, validate=[ma.validate.Length(max=32), _no_nul])


class InboundSchema(ma.Schema):
    """One customer message posted by the provider."""

    class Meta:
        unknown = ma.EXCLUDE

    message_id = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=MAX_ID), _no_nul])
    conversation_id = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=MAX_ID), _no_nul])
    sender = ma.fields.Nested(SenderSchema, required=True, unknown=ma.EXCLUDE)
    text = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=MAX_TEXT), _no_nul])
