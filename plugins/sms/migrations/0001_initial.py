"""SMS plugin tables: short links, campaign SMS sent (attribution), the
autoresponder loop guard and keyword messages."""

# Generated with playhouse.migrations.template; Python-side defaults (clock.now)
# live in the models, not in the schema.
from peewee import *


def up(migrator, db):
    class AutoReplyLog(Model):
        phone = CharField(unique=True, max_length=20)
        last_sent_at = DateTimeField()
        count = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "sms_auto_reply"

    db.create_tables([AutoReplyLog])

    class KeywordLog(Model):
        message_sid = CharField(unique=True, max_length=64)
        phone = CharField(max_length=20)
        keyword = CharField(max_length=20)
        action = CharField(max_length=16)
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = "sms_keyword"
            indexes = ((("phone", "received_at"), False),)

    db.create_tables([KeywordLog])

    class SentCampaignSms(Model):
        phone = CharField(max_length=20)
        source_type = CharField(max_length=16)
        source_id = CharField(max_length=100)
        source_name = CharField(max_length=200, default="")
        send_id = CharField(unique=True, null=True, max_length=100)
        body = TextField(default="")
        sent_at = DateTimeField()
        attributed_message_id = IntegerField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "sms_sent_campaign"
            indexes = ((("phone", "sent_at"), False),)

    db.create_tables([SentCampaignSms])

    class ShortLink(Model):
        code = CharField(unique=True, max_length=16)
        message_id = IntegerField()
        url = TextField()
        clicks = IntegerField(default=0)
        created_at = DateTimeField()
        last_clicked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sms_short_link"
            indexes = ((("message_id", "url"), True),)

    db.create_tables([ShortLink])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("sms_short_link"))
    migrator.migrate(migrator.drop_table("sms_sent_campaign"))
    migrator.migrate(migrator.drop_table("sms_keyword"))
    migrator.migrate(migrator.drop_table("sms_auto_reply"))
