"""The plugin's own table: one row per delivery attempt to the provider,
so an operator can see what the provider answered (created by
``migrations/0001_attempts.py``)."""

import peewee
from app.plugin import BaseModel, now


class JsonHookAttempt(BaseModel):
    """One POST of a reply to the provider."""

    message_id = peewee.IntegerField()
    attempt = peewee.IntegerField()
    status = peewee.IntegerField(null=True)  # None: no answer (timeout, refused connection)
    error = peewee.TextField(null=True)
    external_id = peewee.CharField(max_length=255, null=True)
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "jsonhook_attempt"
        indexes = ((("message_id", "attempt"), False),)


MODELS = [JsonHookAttempt]
