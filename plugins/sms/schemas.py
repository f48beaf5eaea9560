"""Marshmallow schemas of the SMS plugin: the merchant's settings, Twilio's
webhook forms and the attribution API body. Every string is bounded."""

import datetime as dt
import functools
import re

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from app.plugin import ServiceError, is_alphanumeric_sender, normalize_phone

DEFAULT_STOP = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
DEFAULT_START = ["START", "UNSTOP", "YES"]
DEFAULT_HELP = ["HELP", "INFO"]
DEFAULT_AUTORESPONDER = _l(
    "{{ organization_prefix }}: We can't reply because you haven't consented to receive SMS. "
    "For help, contact us at {{ email }}."
)
DEFAULT_HELP_REPLY = _l("{{ organization_prefix }}: For help, contact us at {{ email }}. Reply STOP to unsubscribe.")
TWILIO_API = "https://api.twilio.com"
# Twilio joins at most 10 segments: 1600 characters is the longest SMS body.
MAX_BODY = 1600
MAX_MEDIA = 10
KEYWORD = re.compile(r"^[A-Z0-9]{1,20}$")
SID = r"^{prefix}[0-9a-fA-F]{{32}}$"

_templates = SandboxedEnvironment(autoescape=False)


@functools.lru_cache(maxsize=32)
def _compiled(template):
    return _templates.from_string(template)


def render(template, **context):
    """Render a merchant's SMS template (sandboxed: a template cannot reach Python)."""
    return _compiled(str(template)).render(**context).strip()


@functools.lru_cache(maxsize=32)
def _template_error(value):
    # Settings are loaded on every webhook: parse each template text once.
    try:
        _templates.parse(value)
    except TemplateSyntaxError as exc:
        return exc.message or "syntax error"
    return None


def _valid_template(value):
    error = _template_error(str(value))
    if error:
        raise ma.ValidationError(str(_l("The template is not valid: %(error)s", error=error)))


def _url(**kwargs):
    return ma.fields.Url(schemes={"http", "https"}, require_tld=False, validate=ma.validate.Length(max=300), **kwargs)


class KeywordList(ma.fields.List):
    """A list of keywords, upper-cased; a keyword is one word of letters and digits."""

    def __init__(self, default, **kwargs):
        super().__init__(
            ma.fields.String(validate=ma.validate.Length(min=1, max=20)),
            load_default=lambda: list(default),
            validate=ma.validate.Length(max=30),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        words = [w.strip().upper() for w in super()._deserialize(value, attr, data, **kwargs)]
        bad = [w for w in words if not KEYWORD.match(w)]
        if bad:
            raise ma.ValidationError(
                str(_l("Keywords are single words of letters and digits: %(bad)s", bad=", ".join(bad)))
            )
        return list(dict.fromkeys(words))


class SmsSettings(ma.Schema):
    """What a merchant configures for SMS (Twilio first)."""

    account_sid = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            SID.format(prefix="AC"), error=_l("An account SID is AC followed by 32 hexadecimal characters.")
        ),
        metadata={
            "label": _l("Twilio account SID"),
            "help": _l("In the Twilio console: Account info, Account SID (AC...)."),
        },
    )
    auth_token = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=128),
        metadata={
            "label": _l("Twilio auth token"),
            "help": _l("In the Twilio console beside the account SID. Changing the SID or API URL needs it again."),
            "secret": True,
            # Where the token goes: changing either needs it typed again.
            "secret_for": ["api_base_url", "account_sid"],
        },
    )
    webhook_shared_key = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=256),
        metadata={
            "label": _l("Webhook shared key secret"),
            "secret": True,
            "help": _l("Only when Twilio signs webhooks with a SharedKey (HMAC-SHA256)."),
        },
    )
    from_number = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=20),
        metadata={
            "label": _l("From number"),
            "help": _l(
                "Your Twilio number in E.164 (+15551234567). An alphanumeric sender id cannot receive "
                "replies, so the inbox refuses to reply from it."
            ),
        },
    )
    messaging_service_sid = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            r"^$|" + SID.format(prefix="MG"),
            error=_l("A messaging service SID is MG followed by 32 hexadecimal characters."),
        ),
        metadata={
            "label": _l("Messaging service SID (optional)"),
            "help": _l("Send through a Twilio messaging service (MG...) instead of the from number."),
        },
    )
    public_url = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=300),
        metadata={
            "label": _l("Public base URL"),
            "help": _l("The address Twilio uses to reach Helpline (behind a proxy), e.g. https://help.example.com."),
        },
    )
    api_base_url = _url(
        load_default=TWILIO_API,
        metadata={
            "label": _l("Twilio API base URL"),
            "help": _l("Leave as it is unless Twilio support says otherwise."),
        },
    )
    stop_keywords = KeywordList(
        DEFAULT_STOP,
        metadata={
            "label": _l("Opt-out keywords"),
            "help": _l("A message of just one of these words stops all SMS to the sender."),
        },
    )
    start_keywords = KeywordList(
        DEFAULT_START,
        metadata={
            "label": _l("Opt-in keywords"),
            "help": _l("A message of just one of these words gives consent again."),
        },
    )
    help_keywords = KeywordList(
        DEFAULT_HELP,
        metadata={
            "label": _l("Help keywords"),
            "help": _l("A message of just one of these words gets the reply below."),
        },
    )
    help_reply = ma.fields.String(
        load_default=DEFAULT_HELP_REPLY,
        validate=[ma.validate.Length(min=1, max=480), _valid_template],
        metadata={
            "label": _l("Reply to help keywords"),
            "help": _l(
                "At most 480 characters. {{ organization_prefix }} becomes the SMS prefix, {{ email }} the support "
                "email address (General settings)."
            ),
        },
    )
    autoresponder_enabled = ma.fields.Boolean(
        load_default=True,
        metadata={
            "label": _l("Answer senders who have not consented to SMS"),
            "help": _l("They get the autoresponder text below and a ticket, but no SMS from agents until they opt in."),
        },
    )
    autoresponder_template = ma.fields.String(
        load_default=DEFAULT_AUTORESPONDER,
        validate=[ma.validate.Length(min=1, max=480), _valid_template],
        metadata={
            "label": _l("Autoresponder text"),
            "help": _l(
                "At most 480 characters. {{ organization_prefix }} becomes the SMS prefix, {{ email }} the support "
                "email address (General settings)."
            ),
        },
    )
    autoresponder_window_hours = ma.fields.Integer(
        load_default=24,
        validate=ma.validate.Range(min=1, max=720),
        metadata={
            "label": _l("At most one automatic reply per sender every"),
            "unit": _l("hours"),
            "help": _l("1 to 720 hours."),
        },
    )
    email_alert_enabled = ma.fields.Boolean(
        load_default=False,
        metadata={
            "label": _l("Email the team when a new SMS conversation starts"),
            "help": _l("Needs the email plugin on and at least one recipient below."),
        },
    )
    email_alert_recipients = ma.fields.List(
        ma.fields.Email(validate=ma.validate.Length(max=254)),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={"label": _l("Alert recipients"), "help": _l("Email addresses, at most 20.")},
    )
    link_shortening = ma.fields.Boolean(
        load_default=True,
        metadata={
            "label": _l("Shorten links in replies"),
            "help": _l("Links become short tracked links, so a click can be credited to the conversation."),
        },
    )
    attribution_window_hours = ma.fields.Integer(
        load_default=24,
        validate=ma.validate.Range(min=1, max=720),
        metadata={
            "label": _l("Attribution window"),
            "unit": _l("hours"),
            "help": _l("An order placed this long after a click on a shortened link counts for the conversation."),
        },
    )

    @ma.validates("from_number")
    def _from_number(self, value, **kwargs):
        if not value or is_alphanumeric_sender(value):
            if value and not re.fullmatch(r"[A-Za-z0-9 ]{1,11}", value):
                raise ma.ValidationError(str(_l("An alphanumeric sender id has 1 to 11 letters, digits or spaces.")))
            return
        if not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
            raise ma.ValidationError(str(_l("Write the number in E.164, e.g. +15551234567.")))

    @ma.validates("public_url")
    def _public_url(self, value, **kwargs):
        if value:
            ma.fields.Url(schemes={"http", "https"}, require_tld=False).deserialize(value)

    @ma.post_load
    def _trim_urls(self, data, **kwargs):
        for key in ("public_url", "api_base_url"):
            if key in data:
                data[key] = data[key].rstrip("/")
        return data

    @ma.validates_schema
    def _keywords_disjoint(self, data, **kwargs):
        lists = [(k, set(data.get(k) or ())) for k in ("stop_keywords", "start_keywords", "help_keywords")]
        for i, (name, words) in enumerate(lists):
            for other, other_words in lists[i + 1 :]:
                both = words & other_words
                if both:
                    raise ma.ValidationError(
                        str(_l("A keyword can have only one meaning: %(words)s", words=", ".join(sorted(both)))), other
                    )


class InboundForm(ma.Schema):
    """Twilio's inbound message webhook (the fields Helpline uses; others are ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    MessageSid = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Z]{2}[0-9a-fA-F]{32}$"))
    AccountSid = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    From = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    To = ma.fields.String(load_default="", validate=ma.validate.Length(max=32))
    Body = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_BODY))
    NumMedia = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_MEDIA))
    NumSegments = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=0, max=100))
    ProfileName = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    media = ma.fields.List(ma.fields.Dict(), load_default=list)

    @ma.pre_load
    def _collect_media(self, data, **kwargs):
        """Twilio numbers media fields (MediaUrl0, MediaContentType0, ...)."""
        data = dict(data)
        try:
            count = max(0, min(int(data.get("NumMedia") or 0), MAX_MEDIA))
        except (TypeError, ValueError):
            count = 0  # NumMedia's own validation reports it
        media = []
        for i in range(count):
            url = data.get(f"MediaUrl{i}") or ""
            if not url:
                continue
            if len(url) > 1000 or not url.startswith(("https://", "http://")):
                raise ma.ValidationError(str(_l("Not a media URL.")), f"MediaUrl{i}")
            media.append(
                {"url": url, "content_type": (data.get(f"MediaContentType{i}") or "application/octet-stream")[:100]}
            )
        data["media"] = media
        return data


DELIVERY_STATUSES = (
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "canceled",
    "receiving",
    "received",
)


class StatusForm(ma.Schema):
    """Twilio's message status callback."""

    class Meta:
        unknown = ma.EXCLUDE

    MessageSid = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Z]{2}[0-9a-fA-F]{32}$"))
    AccountSid = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))
    MessageStatus = ma.fields.String(required=True, validate=ma.validate.OneOf(DELIVERY_STATUSES))
    ErrorCode = ma.fields.String(load_default="", validate=ma.validate.Length(max=10))


class SentSmsSchema(ma.Schema):
    """A campaign or flow SMS the marketing system sent (``POST /api/v1/sms/sent``)."""

    phone = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=32))
    source_type = ma.fields.String(required=True, validate=ma.validate.OneOf(("campaign", "flow")))
    source_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    source_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    send_id = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=100))
    body = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_BODY))
    sent_at = ma.fields.NaiveDateTime(load_default=None, allow_none=True, timezone=dt.UTC)

    @ma.validates("phone")
    def _a_phone_number(self, value, **kwargs):
        try:
            normalize_phone(value)
        except ServiceError as exc:
            raise ma.ValidationError(str(exc.message)) from None


class SentSmsOut(ma.Schema):
    """A recorded campaign or flow SMS."""

    id = ma.fields.Integer()
    phone = ma.fields.String(metadata={"description": "E.164"})
    source_type = ma.fields.String()
    source_id = ma.fields.String()
    sent_at = ma.fields.AwareDateTime()
    created = ma.fields.Boolean(metadata={"description": "false: this send_id was recorded before"})


class SettingsWarning(ma.Schema):
    field = ma.fields.String()
    message = ma.fields.String()


class SettingsWarnings(ma.Schema):
    """Problems in otherwise valid settings."""

    warnings = ma.fields.List(ma.fields.Nested(SettingsWarning))


class SmsActivityQuery(ma.Schema):
    """A page of a ticket's SMS messages, newest first."""

    before = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**53), metadata={"description": "only messages older than this id"}
    )
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class SmsShortLinkOut(ma.Schema):
    url = ma.fields.String(metadata={"description": "the link as the agent wrote it"})
    code = ma.fields.String(metadata={"description": "sent as <public URL>/l/<code>"})
    clicks = ma.fields.Integer()
    last_clicked_at = ma.fields.AwareDateTime(allow_none=True)


class SmsMessageActivity(ma.Schema):
    message_id = ma.fields.Integer()
    direction = ma.fields.String()
    clicks = ma.fields.Integer(metadata={"description": "clicks on all the message's short links"})
    links = ma.fields.List(ma.fields.Nested(SmsShortLinkOut))
    attribution = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "the campaign or flow SMS an inbound message answered (source_type, source_id, ...)"},
    )


class SmsActivityPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SmsMessageActivity), metadata={"description": "newest first"})
    before = ma.fields.Integer(allow_none=True, metadata={"description": "pass as ?before= for older messages"})
