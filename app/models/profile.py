import peewee

from ..clock import now
from ..db import BaseModel

SMS_CONSENT = ("marketing", "transactional")


class Profile(BaseModel):
    """A customer. Email and phone (E.164) each identify at most one profile."""

    name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=254, null=True, unique=True)
    phone = peewee.CharField(max_length=20, null=True, unique=True)
    sms_consent = peewee.CharField(max_length=16, null=True)
    external_ids = peewee.JSONField(default=dict)
    created_at = peewee.DateTimeField(default=now)
    updated_at = peewee.DateTimeField(default=now)

    @property
    def first_name(self):
        return self.name.split(" ", 1)[0] if self.name else ""

    @property
    def display_name(self):
        return self.name or self.email or self.phone or f"Customer #{self.id}"


class ContactIdentity(BaseModel):
    """One way to recognise a customer: a channel's sender id, a commerce
    provider's customer id, or an email/phone (stand-in, replaced at merge by
    main's issue-12 model; same table and fields as interfaces.md §2)."""

    profile = peewee.ForeignKeyField(Profile, backref="identities", on_delete="CASCADE")
    source = peewee.CharField(max_length=64)
    external_id = peewee.CharField(max_length=255)
    verified = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "contact_identity"
        indexes = ((("source", "external_id"), True),)


class ProfileEvent(BaseModel):
    profile = peewee.ForeignKeyField(Profile, backref="events", on_delete="CASCADE")
    metric = peewee.CharField(max_length=100)
    properties = peewee.JSONField(default=dict)
    occurred_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("profile", "occurred_at"), False),)


class Order(BaseModel):
    profile = peewee.ForeignKeyField(Profile, backref="orders", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=100)
    total = peewee.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = peewee.CharField(max_length=3, default="USD")
    status = peewee.CharField(max_length=32, default="placed")
    items = peewee.JSONField(default=list)
    placed_at = peewee.DateTimeField(default=now)

    class Meta:
        indexes = ((("profile", "placed_at"), False),)
