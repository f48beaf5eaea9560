"""Marshmallow schemas: the merchant's settings, and every widget request
and answer of the web chat API."""

import re

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import MAX_ID, ClosedDates, TimeZone, WeeklyHours

ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TEXT = 4000
MAX_CLIENT_ID = 64
# A signed customer id: printable ASCII without spaces or "|" (the signed
# message's separator, so a value can never shift into the next field).
CUSTOMER_ID = re.compile(r"^[!-{}~]{1,128}$")
SOURCE = re.compile(r"^[a-z0-9_.-]{1,64}$")
# Identity sources a signed customer id may not claim: the core's own
# addresses and the visitor ids of this channel.
RESERVED_SOURCES = ("email", "phone", "webchat")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}


class Origin(ma.fields.String):
    """A storefront origin written as browsers send it in the ``Origin``
    header, which is compared as is: lower case, without the scheme's default
    port and without a trailing "/" (``https://Shop.example.com:443/`` would
    otherwise never match ``https://shop.example.com``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        origin = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        origin = origin[:-1] if origin.endswith("/") else origin
        scheme = origin.partition("://")[0]
        if scheme in DEFAULT_PORTS and origin.endswith(DEFAULT_PORTS[scheme]):
            origin = origin[: -len(DEFAULT_PORTS[scheme])]
        return origin


class WebchatSettings(ma.Schema):
    """The merchant's web chat settings (all optional; defaults shown)."""

    site_keys = ma.fields.List(
        ma.fields.String(validate=ma.validate.Regexp(SITE_KEY, error=_l("16-64 letters, digits, - or _."))),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={
            "label": _l("Site keys"),
            "help": _l("The key in each storefront's embed snippet (16-64 letters, digits, - or _)."),
        },
    )
    allowed_origins = ma.fields.List(
        Origin(
            validate=ma.validate.Regexp(
                ORIGIN, error=_l("An origin is scheme://host[:port], e.g. https://shop.example.com (no path).")
            )
        ),
        load_default=list,
        validate=ma.validate.Length(max=50),
        metadata={
            "label": _l("Storefront addresses"),
            "help": _l("Origins allowed to embed the chat, such as https://shop.example.com (no path)."),
        },
    )
    title = ma.fields.String(
        load_default=lambda: _("Chat with us"),
        validate=ma.validate.Length(min=1, max=60),
        metadata={"label": _l("Chat title"), "help": _l("Shown at the top of the chat panel.")},
    )
    color = ma.fields.String(
        load_default="#1f6feb",
        validate=ma.validate.Regexp(COLOR, error=_l("A color is #RRGGBB.")),
        metadata={
            "label": _l("Launcher and header color"),
            "help": _l("The chat button and the panel's header."),
            "widget": "color",
        },
    )
    text_color = ma.fields.String(
        load_default="#ffffff",
        validate=ma.validate.Regexp(COLOR, error=_l("A color is #RRGGBB.")),
        metadata={
            "label": _l("Text color on that color"),
            "help": _l("Pick one that reads well on the color above."),
            "widget": "color",
        },
    )
    auto_replies = ma.fields.Boolean(
        load_default=True,
        metadata={
            "label": _l("Automatic greeting and away message"),
            "help": _l("Answer a new chat at once: the greeting within office hours, the away message outside."),
        },
    )
    greeting = ma.fields.String(
        load_default=lambda: _("Hi! Thanks for writing, someone from our team will be with you shortly."),
        validate=ma.validate.Length(max=1000),
        metadata={"label": _l("Greeting"), "help": _l("Sent within office hours."), "widget": "textarea"},
    )
    away_message = ma.fields.String(
        load_default=lambda: _(
            "We are away right now. Leave your email and we will answer you there as soon as we are back."
        ),
        validate=ma.validate.Length(max=1000),
        metadata={"label": _l("Away message"), "help": _l("Sent outside office hours."), "widget": "textarea"},
    )
    timezone = TimeZone(
        load_default="UTC",
        error_messages={"zone": _l("Unknown time zone (use an IANA name like Europe/Paris).")},
        metadata={
            "label": _l("Time zone of the office hours"),
            "help": _l("Office hours follow its clock, daylight saving included."),
        },
    )
    schedule = WeeklyHours(
        metadata={
            "label": _l("Office hours"),
            "help": _l("Opening times per weekday, in the time zone above. A day without times is closed."),
        }
    )
    closed_dates = ClosedDates(
        metadata={"label": _l("Closed dates"), "help": _l("Holidays: no office hours on these dates.")}
    )
    followup_delay_minutes = ma.fields.Integer(
        load_default=3,
        validate=ma.validate.Range(min=1, max=1440),
        metadata={
            "label": _l("Follow-up email delay"),
            "unit": _l("minutes"),
            "help": _l("A reply the visitor has not seen after this long is also sent by email, if they left one."),
        },
    )
    auto_reply_window_minutes = ma.fields.Integer(
        load_default=60,
        validate=ma.validate.Range(min=1, max=10080),
        metadata={
            "label": _l("Automatic replies at most once per"),
            "unit": _l("minutes"),
            "help": _l("A visitor gets the greeting or away message once in this window."),
        },
    )
    agent_recent_minutes = ma.fields.Integer(
        load_default=5,
        validate=ma.validate.Range(min=0, max=1440),
        metadata={
            "label": _l("No automatic reply after an agent answered within"),
            "unit": _l("minutes"),
            "help": _l("0 to ignore recent agent replies."),
        },
    )
    typing_ttl_seconds = ma.fields.Integer(
        load_default=8,
        validate=ma.validate.Range(min=2, max=60),
        metadata={
            "label": _l("Typing indicator lasts"),
            "unit": _l("seconds"),
            "help": _l("After the last keystroke, for both sides."),
        },
    )
    presence_ttl_seconds = ma.fields.Integer(
        load_default=60,
        validate=ma.validate.Range(min=15, max=3600),
        metadata={
            "label": _l("A visitor counts as gone after"),
            "unit": _l("seconds"),
            "help": _l("Without a sign of life from their browser."),
        },
    )
    identity_secret = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            r"^$|^[A-Za-z0-9_-]{32,128}$", error=_l("32-128 letters, digits, - or _ (use Generate on the page).")
        ),
        metadata={
            "label": _l("Signed identity secret"),
            "secret": True,
            "help": _l(
                "The key your storefront signs logged-in customers with (HMAC-SHA256). "
                "Generate or rotate it under Settings, Web chat."
            ),
        },
    )
    identity_max_age_seconds = ma.fields.Integer(
        load_default=3600,
        validate=ma.validate.Range(min=60, max=7 * 24 * 3600),
        metadata={
            "label": _l("Signed identity lifetime"),
            "unit": _l("seconds"),
            "help": _l("A signature older than this is refused; the storefront signs again on each page."),
        },
    )
    customer_id_source = ma.fields.String(
        load_default="storefront",
        validate=[
            ma.validate.Regexp(SOURCE, error=_l("1-64 lowercase letters, digits, _ . or -.")),
            ma.validate.NoneOf(RESERVED_SOURCES, error=_l("This source is reserved.")),
        ],
        metadata={
            "label": _l("Signed customer ids are ids of"),
            "help": _l("The identity source of the customer id your storefront signs, e.g. shopify."),
        },
    )


class Widget(ma.Schema):
    """A widget request: fields a newer or older widget sends that this
    version does not know are ignored, never refused."""

    class Meta:
        unknown = ma.EXCLUDE


def _no_separator(value):
    if "|" in value:
        raise ma.ValidationError(_("May not contain |."))


class SignedIdentity(Widget):
    """The storefront's signature of a logged-in customer (see
    docs/channels/webchat.md, "Signed-in customers")."""

    customer_id = ma.fields.String(
        load_default="",
        validate=ma.validate.Regexp(
            rf"^$|{CUSTOMER_ID.pattern[1:]}", error=_l("1-128 printable characters, no spaces or |.")
        ),
    )
    email = ma.fields.String(load_default="", validate=[ma.validate.Length(max=254), _no_separator])
    # A string: the signature covers exactly the digits the shop sent.
    timestamp = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[0-9]{1,12}$", error=_l("Unix time in seconds (digits)."))
    )
    signature = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[0-9a-fA-F]{64}$", error=_l("64 hexadecimal characters."))
    )

    @ma.validates("email")
    def _email(self, value, **kwargs):
        if value:
            ma.fields.Email().deserialize(value)

    @ma.validates_schema
    def _someone(self, data, **kwargs):
        if not data.get("customer_id") and not data.get("email"):
            raise ma.ValidationError(_("Sign a customer id, an email or both."), "customer_id")


class StartConversation(Widget):
    key = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    identity = ma.fields.Nested(SignedIdentity, load_default=None, allow_none=True)
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    email = ma.fields.Email(load_default=None, allow_none=True, validate=ma.validate.Length(max=254))
    page_url = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))
    # Keeps one visitor's conversations together (from the widget's storage).
    visitor_id = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{8,40}$")
    )

    @ma.pre_load
    def _tidy(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        if isinstance(data.get("email"), str) and not data["email"].strip():
            data = {**data, "email": None}
        # Agents click this link: only web pages, never javascript: or data: URLs.
        page = data.get("page_url")
        if isinstance(page, str) and not page.lower().startswith(("https://", "http://")):
            data = {**data, "page_url": ""}
        return data


class PostMessage(Widget):
    client_id = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            rf"^[A-Za-z0-9_.:-]{{1,{MAX_CLIENT_ID}}}$", error=_l("1-64 letters, digits or _.:-")
        ),
    )
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_TEXT))

    @ma.validates("text")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError(_("The message is empty."))


class Heartbeat(Widget):
    last_seen_id = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_ID))


class ConfigQuery(Widget):
    key = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=64), metadata={"description": "A site key"}
    )


class MessagesQuery(Widget):
    after = ma.fields.Integer(
        load_default=0, validate=ma.validate.Range(min=0, max=MAX_ID), metadata={"description": "Only ids above this"}
    )
    token = ma.fields.String(
        validate=ma.validate.Length(max=1000), metadata={"description": "The visitor token, when no header can be sent"}
    )


class WidgetConfig(ma.Schema):
    title = ma.fields.String()
    color = ma.fields.String()
    text_color = ma.fields.String()
    available = ma.fields.Boolean(metadata={"description": "Within office hours now"})
    labels = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "The widget's texts"}
    )


class ConversationStarted(ma.Schema):
    conversation_id = ma.fields.String()
    visitor_id = ma.fields.String()
    token = ma.fields.String(metadata={"description": "Send it as X-Webchat-Token on this conversation's requests"})
    signed_in = ma.fields.Boolean(metadata={"description": "The chat belongs to the storefront's signed customer"})


VisitorMessage = ma.Schema.from_dict(
    {
        "id": ma.fields.Integer(),
        "from": ma.fields.String(metadata={"description": "visitor, agent or bot"}),
        "name": ma.fields.String(metadata={"description": "The agent's first name"}),
        "text": ma.fields.String(),
        "client_id": ma.fields.String(allow_none=True, metadata={"description": "The visitor's own id of the message"}),
        "at": ma.fields.String(metadata={"description": "ISO 8601, UTC"}),
    },
    name="VisitorMessage",
)


class VisitorMessages(ma.Schema):
    messages = ma.fields.List(ma.fields.Nested(VisitorMessage))
    closed = ma.fields.Boolean(metadata={"description": "The conversation's ticket is closed"})


class PostedMessage(ma.Schema):
    message = ma.fields.Nested(VisitorMessage)
    conversation_id = ma.fields.String(metadata={"description": "A new conversation when the last one was closed"})
    token = ma.fields.String(metadata={"description": "The new conversation's token (only when it changed)"})
