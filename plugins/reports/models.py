"""The reports plugin's tables.

Facts (one row per ticket cycle, per delivered agent reply, per snooze) are
written when events happen and rebuilt from the tickets' history by
``helpline reports rebuild``. The rollup is a small data cube: a *cell* is a
combination of channel, agent and tag where each may be "all" (``""`` / 0),
and ``report_daily`` / ``report_hist`` hold per-day counts and duration
histograms for every cell, so any report over any date range and filter
reads at most one row per day and cell (histograms: per week for the whole
weeks of the range, ``report_hist_week``; docs/reports.md)."""

import peewee

from app.plugin import BaseModel

ALL_CHANNELS = ""
ALL_AGENTS = 0
NO_AGENT = -1  # unassigned, or a reply whose author is gone
ALL_TAGS = 0

# report_hist.metric
FRT, RESOLUTION, FRT_BH, RESOLUTION_BH = 1, 2, 3, 4


class ReportTag(BaseModel):
    """Tag names seen in ticket history, numbered for the cube."""

    name = peewee.CharField(max_length=64, unique=True)

    class Meta:
        table_name = "report_tag"


class ReportCycle(BaseModel):
    """One ticket cycle: from creation or a reopen to the next close."""

    ticket_id = peewee.IntegerField()
    cycle = peewee.IntegerField()  # 1 for the creation, n + 1 after the n-th reopen
    channel = peewee.CharField(max_length=32)
    agent_key = peewee.IntegerField()  # assignee at close (current while open), NO_AGENT if none
    started_at = peewee.DateTimeField()
    start_day = peewee.DateField()
    first_customer_at = peewee.DateTimeField(null=True)
    first_response_at = peewee.DateTimeField(null=True)
    responder_key = peewee.IntegerField(null=True)
    frt_seconds = peewee.IntegerField(null=True)
    frt_bh_seconds = peewee.IntegerField(null=True)
    frt_day = peewee.DateField(null=True)
    closed_at = peewee.DateTimeField(null=True)
    close_day = peewee.DateField(null=True)
    closed_reason = peewee.CharField(max_length=32, null=True)
    resolution_seconds = peewee.IntegerField(null=True)
    resolution_bh_seconds = peewee.IntegerField(null=True)

    class Meta:
        table_name = "report_cycle"
        indexes = ((("ticket_id", "cycle"), True),)


class ReportCycleTag(BaseModel):
    """The tags of a cycle: at its close, or the current ones while open."""

    cycle_id = peewee.IntegerField()
    tag_id = peewee.IntegerField()

    class Meta:
        table_name = "report_cycle_tag"
        primary_key = peewee.CompositeKey("cycle_id", "tag_id")


class ReportSnooze(BaseModel):
    """A stretch of a cycle spent snoozed (for the snoozed backlog)."""

    cycle_id = peewee.IntegerField(index=True)
    start_day = peewee.DateField()
    end_day = peewee.DateField(null=True)

    class Meta:
        table_name = "report_snooze"


class ReportReply(BaseModel):
    """A delivered public reply written by an agent (not a bot, not automatic)."""

    message_id = peewee.IntegerField(unique=True)
    ticket_id = peewee.IntegerField()
    cycle = peewee.IntegerField()
    agent_key = peewee.IntegerField()
    channel = peewee.CharField(max_length=32)
    day = peewee.DateField()

    class Meta:
        table_name = "report_reply"
        indexes = ((("ticket_id", "cycle"), False),)


class ReportCell(BaseModel):
    """A slice of the cube: channel ("" = all), agent (0 = all, -1 = none),
    tag (0 = all)."""

    channel = peewee.CharField(max_length=32)
    agent_key = peewee.IntegerField()
    tag_key = peewee.IntegerField()

    class Meta:
        table_name = "report_cell"
        indexes = ((("channel", "agent_key", "tag_key"), True),)


class ReportDaily(BaseModel):
    """Counts and duration sums of one cell on one day (report time zone)."""

    cell_id = peewee.IntegerField()
    day = peewee.DateField()
    created = peewee.IntegerField(default=0)
    reopened = peewee.IntegerField(default=0)
    closed = peewee.IntegerField(default=0)
    auto_closed = peewee.IntegerField(default=0)
    replies = peewee.IntegerField(default=0)
    frt_n = peewee.IntegerField(default=0)
    frt_sum = peewee.BigIntegerField(default=0)
    frt_bh_n = peewee.IntegerField(default=0)
    frt_bh_sum = peewee.BigIntegerField(default=0)
    resolution_sum = peewee.BigIntegerField(default=0)
    resolution_bh_n = peewee.IntegerField(default=0)
    resolution_bh_sum = peewee.BigIntegerField(default=0)
    snoozed_in = peewee.IntegerField(default=0)
    snoozed_out = peewee.IntegerField(default=0)

    class Meta:
        table_name = "report_daily"
        primary_key = peewee.CompositeKey("cell_id", "day")


class ReportHist(BaseModel):
    """How many durations of a metric fell in a bucket, and their sum."""

    cell_id = peewee.IntegerField()
    metric = peewee.SmallIntegerField()
    day = peewee.DateField()
    bucket = peewee.SmallIntegerField()
    n = peewee.IntegerField(default=0)
    total = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "report_hist"
        primary_key = peewee.CompositeKey("cell_id", "metric", "day", "bucket")


class ReportHistWeek(BaseModel):
    """``report_hist`` summed per week (Monday to Sunday, report days), so a
    long range reads one row per week instead of seven."""

    cell_id = peewee.IntegerField()
    metric = peewee.SmallIntegerField()
    week = peewee.DateField()  # its Monday
    bucket = peewee.SmallIntegerField()
    n = peewee.IntegerField(default=0)
    total = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "report_hist_week"
        primary_key = peewee.CompositeKey("cell_id", "metric", "week", "bucket")


class ReportMeta(BaseModel):
    """Small key/value state: the settings the facts were computed with."""

    key = peewee.CharField(max_length=64, primary_key=True)
    value = peewee.TextField()

    class Meta:
        table_name = "report_meta"


DAILY_FIELDS = (
    "created",
    "reopened",
    "closed",
    "auto_closed",
    "replies",
    "frt_n",
    "frt_sum",
    "frt_bh_n",
    "frt_bh_sum",
    "resolution_sum",
    "resolution_bh_n",
    "resolution_bh_sum",
    "snoozed_in",
    "snoozed_out",
)

FACT_MODELS = [ReportCycle, ReportCycleTag, ReportSnooze, ReportReply]
MODELS = [ReportTag, *FACT_MODELS, ReportCell, ReportDaily, ReportHist, ReportHistWeek, ReportMeta]
