"""The SMS plugin's tables (created by ``plugins/sms/migrations``)."""

import peewee

from app.plugin import BaseModel, now


class ShortLink(BaseModel):
    """A link in an outbound SMS, replaced by ``<public_url>/l/<code>``.
    One row per (message, url), so a retried delivery reuses its codes."""

    code = peewee.CharField(max_length=16, unique=True)
    message_id = peewee.IntegerField()
    url = peewee.TextField()
    clicks = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=now)
    last_clicked_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "sms_short_link"
        indexes = ((("message_id", "url"), True),)


class SentCampaignSms(BaseModel):
    """A campaign or flow SMS the marketing system sent to a phone number;
    the first inbound SMS within the attribution window claims the latest one."""

    phone = peewee.CharField(max_length=20)
    source_type = peewee.CharField(max_length=16)  # campaign | flow
    source_id = peewee.CharField(max_length=100)
    source_name = peewee.CharField(max_length=200, default="")
    send_id = peewee.CharField(max_length=100, null=True, unique=True)
    body = peewee.TextField(default="")
    sent_at = peewee.DateTimeField(default=now)
    attributed_message_id = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "sms_sent_campaign"
        indexes = ((("phone", "sent_at"), False),)


class AutoReplyLog(BaseModel):
    """When a phone number last got an automatic reply: the loop guard."""

    phone = peewee.CharField(max_length=20, unique=True)
    last_sent_at = peewee.DateTimeField()
    count = peewee.IntegerField(default=1)

    class Meta:
        table_name = "sms_auto_reply"


class KeywordLog(BaseModel):
    """An inbound keyword message (STOP, START, HELP...): it changes consent
    and creates no ticket. Unique on MessageSid, so Twilio's retries count once."""

    message_sid = peewee.CharField(max_length=64, unique=True)
    phone = peewee.CharField(max_length=20)
    keyword = peewee.CharField(max_length=20)
    action = peewee.CharField(max_length=16)  # opt_out | opt_in | help
    received_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "sms_keyword"
        indexes = ((("phone", "received_at"), False),)


MODELS = [ShortLink, SentCampaignSms, AutoReplyLog, KeywordLog]
