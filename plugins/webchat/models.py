"""Web chat tables: one row per chat conversation (the visitor's side of a
ticket: who, presence, what they have seen) and a log of follow-up emails."""

import peewee

from app.plugin import BaseModel, Ticket, now


class Conversation(BaseModel):
    """A chat conversation. ``public_id`` is the thread key of its ticket and
    the id the widget uses; the ticket exists once the first message arrived.

    Presence: the visitor counts as here while ``left_at`` is empty and
    ``last_seen_at`` (stream keepalive or heartbeat) is recent; a closed
    stream sets ``left_at`` when it was the last one open."""

    public_id = peewee.CharField(max_length=40, unique=True)
    # Conversations continuing one another (after a close) share the chain
    # id, which namespaces client message ids: the token decides the chain.
    chain_id = peewee.CharField(max_length=40)
    visitor_id = peewee.CharField(max_length=40, index=True)
    site_key = peewee.CharField(max_length=64)
    ticket = peewee.ForeignKeyField(Ticket, null=True, unique=True, on_delete="SET NULL")
    # The conversation started when a message arrived after this one closed.
    successor = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL")
    visitor_name = peewee.CharField(max_length=200, default="")
    visitor_email = peewee.CharField(max_length=254, null=True)
    # Signed by the storefront (see plugins.webchat.identity): the customer
    # id, and whether ``visitor_email`` came signed rather than typed.
    customer_id = peewee.CharField(max_length=128, null=True)
    email_verified = peewee.BooleanField(default=False)
    page_url = peewee.CharField(max_length=500, default="")
    created_at = peewee.DateTimeField(default=now)
    last_seen_at = peewee.DateTimeField(null=True)
    left_at = peewee.DateTimeField(null=True)
    open_streams = peewee.IntegerField(default=0)
    # Highest message id pushed to (or fetched by) the visitor: later agent
    # replies are "unseen".
    last_delivered_message_id = peewee.IntegerField(default=0)
    # Highest message id a follow-up email already covered.
    followup_through_message_id = peewee.IntegerField(default=0)
    last_auto_reply_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "webchat_conversation"
        indexes = ((("visitor_email", "left_at"), False),)


class FollowupEmail(BaseModel):
    """One follow-up email sent to a visitor who left with unseen replies."""

    conversation = peewee.ForeignKeyField(Conversation, backref="followups", on_delete="CASCADE")
    to_email = peewee.CharField(max_length=254)
    first_message_id = peewee.IntegerField()
    last_message_id = peewee.IntegerField()
    message_count = peewee.IntegerField()
    sent_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "webchat_followup_email"
        indexes = ((("conversation", "sent_at"), False),)


MODELS = [Conversation, FollowupEmail]
