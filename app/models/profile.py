import peewee
from flask_babel import gettext as _

from ..clock import now
from ..db import BaseModel

SMS_CONSENT = ("marketing", "transactional")


class Profile(BaseModel):
    """A customer. ``email`` and ``phone`` (E.164) are the verified contacts
    replies go to; each identifies at most one profile. Everything else that
    identifies a customer (a chat visitor, a store's customer id, further or
    unverified addresses) is a :class:`ContactIdentity`."""

    name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=254, null=True, unique=True)
    phone = peewee.CharField(max_length=20, null=True, unique=True)
    sms_consent = peewee.CharField(max_length=16, null=True)
    created_at = peewee.DateTimeField(default=now)
    updated_at = peewee.DateTimeField(default=now)

    @property
    def first_name(self):
        return self.name.split(" ", 1)[0] if self.name else ""

    @property
    def display_name(self):
        # A customer known only by a chat session: say what they are, not a row number.
        return self.name or self.email or self.phone or _("Web visitor")


class ContactIdentity(BaseModel):
    """``(source, external_id)`` -> profile: how a customer is known to a
    channel (``webchat`` visitor id, a chat app's user id), a provider
    (``shopify`` customer id) or by address (``email``, ``phone``).

    A verified identity belongs to at most one profile, so it can be looked
    up. An unverified one (an email typed into a chat) is only a claim kept
    on the profile that made it: several profiles may claim the same value,
    and a claim never leads to the profile that owns it verified.
    """

    # Indexed by the unique (profile, source, external_id) index below.
    profile = peewee.ForeignKeyField(Profile, backref="identities", on_delete="CASCADE", index=False)
    source = peewee.CharField(max_length=64)
    external_id = peewee.CharField(max_length=255)
    verified = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "contact_identity"
        indexes = ((("profile", "source", "external_id"), True),)


# Partial: uniqueness (and lookups) are for verified identities only, so any
# number of profiles can hold the same unverified claim.
ContactIdentity.add_index(
    ContactIdentity.index(
        ContactIdentity.source,
        ContactIdentity.external_id,
        unique=True,
        # Spelled out: peewee would inline True as 1, which PostgreSQL refuses.
        where=peewee.SQL('"verified" = TRUE'),
        name="contact_identity_verified",
    )
)


class ProfileEvent(BaseModel):
    """Something a customer did, as a provider reported it: a ``metric``
    name, free-form ``properties`` and when it ``occurred_at``.
    """

    profile = peewee.ForeignKeyField(Profile, backref="events", on_delete="CASCADE")
    metric = peewee.CharField(max_length=100)
    properties = peewee.JSONField(default=dict)
    occurred_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("profile", "occurred_at"), False),)


class Order(BaseModel):
    """A customer's order as the store reported it, with its lines
    (``items``), ``total``, ``currency`` and ``status``.
    """

    profile = peewee.ForeignKeyField(Profile, backref="orders", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=100)
    total = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = peewee.CharField(max_length=3, default="USD")
    status = peewee.CharField(max_length=32, default="placed")
    items = peewee.JSONField(default=list)
    placed_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("profile", "placed_at"), False),)
