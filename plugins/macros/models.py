"""The macros plugin's tables: macros, and bulk-apply jobs with their
per-ticket results."""

import peewee

from app.plugin import Agent, BaseModel, now

JOB_STATES = ("queued", "running", "done")


class Macro(BaseModel):
    """A named reply template plus ordered actions. Personal (seen by its
    owner only) or shared (seen by every inbox agent, edited by managers)."""

    name = peewee.CharField(max_length=100)
    # Lower-cased name: the sort and search key, so lists use one index on
    # every backend without functional indexes.
    name_key = peewee.CharField(max_length=100)
    body = peewee.TextField(default="")
    # [{"type": "<action name>", "params": {...}}, ...] in run order.
    actions = peewee.JSONField(default=list)
    owner = peewee.ForeignKeyField(Agent, backref="macros", on_delete="CASCADE")
    shared = peewee.BooleanField(default=False)
    usage_count = peewee.IntegerField(default=0)
    last_used_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=now)
    updated_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "macro"
        indexes = (
            (("shared", "name_key", "id"), False),
            (("owner", "name_key", "id"), False),
        )


class MacroBulkJob(BaseModel):
    """One bulk application of a macro; progress is read while it runs."""

    macro = peewee.ForeignKeyField(Macro, null=True, backref="jobs", on_delete="SET NULL")
    macro_name = peewee.CharField(max_length=100)
    agent = peewee.ForeignKeyField(Agent, on_delete="CASCADE")
    ticket_ids = peewee.JSONField(default=list)
    state = peewee.CharField(max_length=16, default="queued")
    total = peewee.IntegerField(default=0)
    done = peewee.IntegerField(default=0)
    succeeded = peewee.IntegerField(default=0)
    failed = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=now)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "macro_bulk_job"
        indexes = ((("agent", "created_at"), False),)


class MacroBulkResult(BaseModel):
    """What happened to one ticket of a bulk job."""

    job = peewee.ForeignKeyField(MacroBulkJob, backref="results", on_delete="CASCADE")
    ticket_id = peewee.IntegerField()
    ok = peewee.BooleanField()
    code = peewee.CharField(max_length=64, default="ok")
    message = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=now)

    class Meta:
        table_name = "macro_bulk_result"
        indexes = ((("job", "ticket_id"), True),)


MODELS = [Macro, MacroBulkJob, MacroBulkResult]
