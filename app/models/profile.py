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
    """Something a customer did ("Viewed Product", "sms_keyword"), as a
    commerce provider, the import API or a plugin recorded it. Unique on the
    provider's ``(source, external_id)`` when it has one."""

    profile = peewee.ForeignKeyField(Profile, backref="events", on_delete="CASCADE")
    #: who recorded it: a provider slug ("shopify"), an import source, or
    #: "helpline" for events the helpdesk records itself.
    source = peewee.CharField(max_length=64, default="helpline")
    external_id = peewee.CharField(max_length=255, null=True)
    metric = peewee.CharField(max_length=100)
    properties = peewee.JSONField(default=dict)
    occurred_at = peewee.DateTimeField(default=now)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = (
            (("source", "external_id"), True),
            (("profile", "occurred_at", "id"), False),
            (("profile", "metric", "occurred_at", "id"), False),
            (("metric", "occurred_at"), False),
        )


class Order(BaseModel):
    """An order as its commerce provider last reported it. Money is in
    ``currency``; ``lines`` is a list of ``{external_id, title, sku, variant,
    quantity, unit_price, total}`` with prices as decimal strings.
    ``updated_at`` is the provider's change time (stale updates are ignored)."""

    profile = peewee.ForeignKeyField(Profile, backref="orders", on_delete="CASCADE")
    source = peewee.CharField(max_length=64, default="api")
    external_id = peewee.CharField(max_length=255)
    name = peewee.CharField(max_length=64, default="")
    lines = peewee.JSONField(default=list)
    subtotal = peewee.DecimalField(max_digits=12, decimal_places=2, null=True)
    total = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = peewee.CharField(max_length=3, default="USD")
    status = peewee.CharField(max_length=32, default="open")
    financial_status = peewee.CharField(max_length=32, null=True)
    fulfillment_status = peewee.CharField(max_length=32, null=True)
    placed_at = peewee.DateTimeField(default=now)
    cancelled_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(null=True)
    url = peewee.CharField(max_length=2000, null=True)
    created_at = peewee.DateTimeField(default=now)
    synced_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = (
            (("source", "external_id"), True),
            (("profile", "placed_at", "id"), False),
        )

    @property
    def display_name(self):
        return self.name or f"#{self.external_id}"
