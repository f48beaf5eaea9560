"""The email plugin's own table: automatic mail the loop guard dropped, kept
so a merchant can see what was filtered and why (the raw stays in storage)."""

import peewee

from app.plugin import BaseModel, now


class DroppedEmail(BaseModel):
    """One automatic message (auto-reply, bounce, own mail) not turned into a ticket."""

    message_id = peewee.CharField(max_length=255)
    sender = peewee.CharField(max_length=254, default="")
    subject = peewee.CharField(max_length=255, default="")
    reason = peewee.CharField(max_length=32)
    raw_key = peewee.CharField(max_length=64, null=True)
    received_at = peewee.DateTimeField(default=now, index=True)

    class Meta:
        table_name = "email_dropped"
        indexes = ((("message_id",), True),)


MODELS = [DroppedEmail]
