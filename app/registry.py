"""The classes plugins subclass: ``Channel``, ``Rule`` and ``Panel``, the
records that cross the channel boundary, and the ``{slug: class}`` registries.

A channel turns provider traffic into :class:`Inbound` records handed to
``app.services.ingest.ingest`` and delivers :class:`Outbound` records handed
to :meth:`Channel.send` by the outbox. Everything else (tickets, routing,
clocks, events) is the core's job.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from typing import Any, ClassVar

import marshmallow


class EmptySettings(marshmallow.Schema):
    """Settings schema for a plugin that has none."""


@dataclasses.dataclass
class Refusal:
    """Why a reply cannot be sent. ``code`` is stable for programs,
    ``message`` is for people (already translated)."""

    code: str
    message: str

    def __str__(self):
        return self.message


@dataclasses.dataclass
class Sender:
    """Who wrote in, as the channel knows them. Phone numbers may be in any
    format the provider uses; the core normalizes them to E.164.

    :param external_id: the sender's own id on this channel (a chat app's
        user id, the web chat visitor id), if it has one. Ingest finds the
        customer by ``(channel slug, external_id)`` before anything else, so
        it must be an id the channel vouches for, never one a stranger can
        choose to become someone else.
    :param verified_contact: whether ``email`` and ``phone`` are proven to
        be the sender's (the address an email came from, the number an SMS
        came from). ``False`` for what a person typed into a form: such an
        address is kept on the sender's own profile as an unverified
        identity and never attaches them to the customer who owns it.
    """

    name: str = ""
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    verified_contact: bool = True


@dataclasses.dataclass
class Attachment:
    """A file on a message. A channel fills ``filename``, ``content_type``,
    ``size`` and either ``storage_key`` (bytes saved with ``storage.save``)
    or ``url`` (left with the provider, e.g. MMS media).
    """

    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    url: str | None = None  # where the provider keeps it (MMS media)
    storage_key: str | None = None  # where Helpline keeps it

    def as_dict(self):
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclasses.dataclass
class Inbound:
    """A customer message as a channel received it.

    :param external_id: the provider's id; ingest is idempotent on it.
        Which conversation the message belongs to is decided by ingest
        calling the channel's :meth:`Channel.thread_key` with this record.
    :param related_external_ids: provider ids this message answers (email
        In-Reply-To/References); a ticket holding one of them is the thread.
    :param ticket_hint: a ticket id the channel has verified (a signed reply
        token); used first when it names a ticket of this channel.
    """

    channel: str
    external_id: str
    sender: Sender
    text: str = ""
    html: str = ""
    subject: str = ""
    related_external_ids: list = dataclasses.field(default_factory=list)
    ticket_hint: int | None = None
    attachments: list = dataclasses.field(default_factory=list)
    received_at: dt.datetime | None = None
    meta: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Outbound:
    """A public reply to deliver. Built by the outbox from a queued message."""

    message_id: int
    ticket_id: int
    channel: str
    text: str
    html: str
    subject: str
    to_name: str
    to_email: str | None
    to_phone: str | None
    thread_key: str
    # Provider ids of earlier messages in the ticket, oldest first (threading).
    history_external_ids: list
    attachments: list
    attempt: int
    meta: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SendResult:
    """What :meth:`Channel.send` returns: the provider's id for the
    delivered message (stored as its ``external_id``) and extra ``meta``.
    """

    external_id: str | None = None
    meta: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CardFact:
    """One line of a :class:`ChannelCard`: a label and its value, shown as
    text. ``href`` makes the value a link (only ``http``/``https``,
    ``mailto`` and ``tel`` addresses are linked, anything else is shown as
    text);
    ``state`` is a short machine-readable word (``online``, ``opted_out``)
    put on the line as ``data-state`` for styling and tests."""

    label: str
    value: str
    href: str | None = None
    state: str | None = None


@dataclasses.dataclass
class ChannelCard:
    """What a channel knows about a ticket's conversation, shown beside the
    customer on the ticket page (:meth:`Channel.card`): a ``title`` and
    ``facts`` (:class:`CardFact`), in order. Values are plain text, escaped
    by the page; a card with no facts is not shown."""

    title: str
    facts: list = dataclasses.field(default_factory=list)


class DeliveryError(Exception):
    """Raised by :meth:`Channel.send`. ``retryable=False`` fails the message
    at once (a bad address); otherwise the outbox retries with backoff."""

    def __init__(self, message, retryable=True):
        super().__init__(message)
        self.retryable = retryable


class Channel(abc.ABC):
    """Base class for channel plugins. Subclasses set the class attributes
    and implement :meth:`send`; they may override the policy methods.

    An instance is made per use with ``settings``: the registering plugin's
    settings with defaults filled in. A plugin declares their schema once,
    with the ``helpline_register_settings`` hook, whatever it provides
    (channels, rules, panels), so there is no schema on the class.
    """

    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    #: A message to a closed ticket of this channel reopens it (True) or
    #: starts a new ticket (False).
    reopens_closed: ClassVar[bool] = True
    #: The ticket list's preview keeps the customer's latest words (True):
    #: replies (an agent's, a bot's greeting) do not replace it. For chat,
    #: where a greeting or the agent often writes last.
    preview_from_customer: ClassVar[bool] = False
    #: Set by the registry: the plugin that registered this class.
    plugin: ClassVar[str] = ""

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

    def thread_key(self, inbound: Inbound) -> str:
        """The conversation an inbound message belongs to: ingest calls it
        for every message (after normalizing the sender's phone to E.164 and
        email to lower case) and files the message in the latest ticket of
        this channel with that key, unless ``ticket_hint`` or
        ``related_external_ids`` found the ticket first; a closed ticket is
        reopened or replaced as ``reopens_closed`` says. At most 255
        characters are used; an empty key gives the message a conversation
        of its own. The default is one conversation per sender: their id on
        the channel, else their phone or email when verified, else the
        message's own id (an address someone typed must not lead into the
        thread of the customer who owns it)."""
        s = inbound.sender
        if s.external_id:
            return str(s.external_id)
        return ((s.phone or s.email) if s.verified_contact else None) or inbound.external_id

    def can_reply(self, ticket) -> Refusal | None:
        """Return a :class:`Refusal` when an agent may not reply on this
        channel now, ``None`` when they may."""
        return None

    def card(self, ticket) -> ChannelCard | None:
        """The channel's own card on the ticket page, beside the customer:
        what this channel stored about the conversation (a chat visitor's
        page, an SMS number's consent, an email's addresses). Called on every
        render of the ticket sidebar, so it reads stored data only (a few
        indexed queries, never a provider's API). ``None`` (the default)
        shows no card; an exception is logged and shows a short error in the
        card's place."""
        return None

    def retry_schedule(self) -> tuple[int, int] | None:
        """``(max_attempts, base_seconds)`` for this channel's replies:
        attempt n waits ``base_seconds * 2**(n-1)`` after a retryable
        failure. ``None`` (the default) keeps the deployment's
        ``OUTBOX_MAX_ATTEMPTS`` and ``OUTBOX_BACKOFF_SECONDS``."""
        return None

    @abc.abstractmethod
    def send(self, outbound: Outbound) -> SendResult:
        """Deliver a public reply; raise :class:`DeliveryError` on failure."""


class Rule:
    """Base class for automation rules. A rule does its work in the
    plugin's event hooks and/or periodic tasks (``periodic_task``); the
    class describes it to merchants: the Rules settings page lists every
    registered rule with its ``label``, ``description``, whether it is on
    and a link to its settings page.

    An instance is made per use with ``settings``: the registering plugin's
    settings with defaults filled in.
    """

    slug: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: The ``url_for`` endpoint of a hand-made settings page, if any; None
    #: links to the plugin's generated settings page (when it has settings).
    settings_endpoint: ClassVar[str | None] = None
    #: Set by the registry: the plugin that registered this class.
    plugin: ClassVar[str] = ""

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

    def is_active(self) -> bool:
        """Whether the rule acts, given its settings (a rule that merchants
        switch on in its settings answers False until they do). Whether its
        plugin is enabled is the core's business, not asked here."""
        return True


class Panel(abc.ABC):
    """Base class for customer panels shown beside a ticket."""

    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    plugin: ClassVar[str] = ""
    #: Template rendering ``data`` in the agent UI (namespaced per plugin).
    template: ClassVar[str | None] = None

    def eligible(self, profile) -> bool:
        return True

    @abc.abstractmethod
    def render_data(self, profile) -> dict[str, Any]:
        """The panel's content for this customer, as JSON-serializable data."""


class SettingsSection(abc.ABC):
    """A section a plugin adds under its generated settings form (Settings →
    Plugins → the plugin's settings), for what a schema cannot say: a
    preview of what the settings would do, a log of a dry run. Read-only:
    the page renders it on every visit, so keep ``render_data`` cheap."""

    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    plugin: ClassVar[str] = ""
    #: Template rendering ``data`` (namespaced per plugin); it also gets
    #: ``section`` and ``settings``.
    template: ClassVar[str | None] = None

    @abc.abstractmethod
    def render_data(self, settings: dict, args) -> dict[str, Any]:
        """The section's content: ``settings`` are the plugin's saved
        settings, ``args`` the page's query string (a MultiDict, e.g. a
        period to preview before saving it)."""


class Registry(dict):
    """``{slug: class}`` with a check that slugs are unique and set."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def add(self, cls, plugin):
        if not getattr(cls, "slug", ""):
            raise ValueError(f"{self.kind} {cls!r} from plugin {plugin!r} has no slug")
        if cls.slug in self and self[cls.slug] is not cls:
            raise ValueError(f"{self.kind} slug {cls.slug!r} registered twice ({self[cls.slug].plugin} and {plugin})")
        cls.plugin = plugin
        self[cls.slug] = cls
