"""A fake channel for tests: inbound through :meth:`FakeChannelPlugin.receive`,
outbound captured in ``plugin.sent`` (and made to fail on demand)."""

import itertools

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..registry import Channel, DeliveryError, Inbound, Refusal, Sender, SendResult


class FakeSettings(ma.Schema):
    signature = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    max_length = ma.fields.Integer(load_default=1000, validate=ma.validate.Range(min=1, max=10000))


class FakeChannelPlugin:
    """A plugin object providing one fake channel.

    :param slug: channel slug (``fake`` by default).
    :param reopens_closed: the channel's reopen policy.
    :param per_conversation: True gives every ``conversation`` its own thread
        key (web chat style); False keys threads by sender (SMS style).
    """

    description = _l("A fake channel for tests.")

    def __init__(self, slug="fake", reopens_closed=True, per_conversation=False):
        self.slug = slug
        self.sent = []  # Outbound records delivered
        self.fail_next = []  # queue of exceptions to raise on send
        self.refuse = None  # a Refusal returned by can_reply
        self._ids = itertools.count(1)
        self._out_ids = itertools.count(1)
        plugin = self

        class _FakeChannel(Channel):
            label = "Fake"

            def thread_key(self, inbound):
                if per_conversation:
                    return inbound.meta.get("conversation") or inbound.external_id
                return super().thread_key(inbound)

            def can_reply(self, ticket):
                return plugin.refuse

            def send(self, outbound):
                if plugin.fail_next:
                    exc = plugin.fail_next.pop(0)
                    raise exc if isinstance(exc, Exception) else DeliveryError(str(exc))
                plugin.sent.append(outbound)
                return SendResult(external_id=f"{plugin.slug}-out-{next(plugin._out_ids)}")

        _FakeChannel.slug = slug
        _FakeChannel.reopens_closed = reopens_closed
        self.channel_class = _FakeChannel

    @hookimpl
    def helpline_register_channels(self):
        return [self.channel_class]

    @hookimpl
    def helpline_register_settings(self):
        return FakeSettings

    def inbound(
        self,
        text="Hello",
        email=None,
        phone=None,
        name="",
        external_id=None,
        conversation=None,
        sender_id=None,
        verified_contact=True,
        **kwargs,
    ):
        """An :class:`Inbound` of this channel. ``sender_id`` is the sender's
        id on the channel (an id-keyed channel such as a chat app);
        ``verified_contact=False`` marks email/phone as typed by the person.
        Without any of email, phone and ``sender_id`` the sender is
        ``customer@example.net``."""
        if email is None and phone is None and sender_id is None:
            email = "customer@example.net"
        meta = kwargs.pop("meta", {})
        if conversation:
            meta["conversation"] = conversation
        return Inbound(
            channel=self.slug,
            external_id=external_id or f"{self.slug}-in-{next(self._ids)}",
            sender=Sender(
                name=name, email=email, phone=phone, external_id=sender_id, verified_contact=verified_contact
            ),
            text=text,
            meta=meta,
            **kwargs,
        )

    def receive(self, text="Hello", **kwargs):
        """Ingest a customer message; returns the IngestResult."""
        from ..services.ingest import ingest

        return ingest(self.inbound(text, **kwargs))

    def refuse_with(self, code="refused", message="Refused by the fake channel."):
        self.refuse = Refusal(code, message)
