"""The reports plugin's facts, its rollup cube and its state."""

from peewee import *


def up(migrator, db):
    # The cube tables are looked up by their whole primary key prefix; on
    # SQLite a WITHOUT ROWID table keeps the counts inside that index.
    compact = isinstance(db, SqliteDatabase)

    class ReportTag(Model):
        name = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = "report_tag"

    class ReportCycle(Model):
        ticket_id = IntegerField()
        cycle = IntegerField()
        channel = CharField(max_length=32)
        agent_key = IntegerField()
        started_at = DateTimeField()
        start_day = DateField()
        first_customer_at = DateTimeField(null=True)
        first_response_at = DateTimeField(null=True)
        responder_key = IntegerField(null=True)
        frt_seconds = IntegerField(null=True)
        frt_bh_seconds = IntegerField(null=True)
        frt_day = DateField(null=True)
        closed_at = DateTimeField(null=True)
        close_day = DateField(null=True)
        closed_reason = CharField(max_length=32, null=True)
        resolution_seconds = IntegerField(null=True)
        resolution_bh_seconds = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "report_cycle"
            indexes = ((("ticket_id", "cycle"), True),)

    class ReportCycleTag(Model):
        cycle_id = IntegerField()
        tag_id = IntegerField()

        class Meta:
            database = db
            table_name = "report_cycle_tag"
            primary_key = CompositeKey("cycle_id", "tag_id")

    class ReportSnooze(Model):
        cycle_id = IntegerField(index=True)
        start_day = DateField()
        end_day = DateField(null=True)

        class Meta:
            database = db
            table_name = "report_snooze"

    class ReportReply(Model):
        message_id = IntegerField(unique=True)
        ticket_id = IntegerField()
        cycle = IntegerField()
        agent_key = IntegerField()
        channel = CharField(max_length=32)
        day = DateField()

        class Meta:
            database = db
            table_name = "report_reply"
            indexes = ((("ticket_id", "cycle"), False),)

    class ReportCell(Model):
        channel = CharField(max_length=32)
        agent_key = IntegerField()
        tag_key = IntegerField()

        class Meta:
            database = db
            table_name = "report_cell"
            indexes = ((("channel", "agent_key", "tag_key"), True),)

    class ReportDaily(Model):
        cell_id = IntegerField()
        day = DateField()
        created = IntegerField(default=0)
        reopened = IntegerField(default=0)
        closed = IntegerField(default=0)
        auto_closed = IntegerField(default=0)
        replies = IntegerField(default=0)
        frt_n = IntegerField(default=0)
        frt_sum = BigIntegerField(default=0)
        frt_bh_n = IntegerField(default=0)
        frt_bh_sum = BigIntegerField(default=0)
        resolution_sum = BigIntegerField(default=0)
        resolution_bh_n = IntegerField(default=0)
        resolution_bh_sum = BigIntegerField(default=0)
        snoozed_in = IntegerField(default=0)
        snoozed_out = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "report_daily"
            primary_key = CompositeKey("cell_id", "day")
            without_rowid = compact

    class ReportHist(Model):
        cell_id = IntegerField()
        metric = SmallIntegerField()
        day = DateField()
        bucket = SmallIntegerField()
        n = IntegerField(default=0)
        total = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "report_hist"
            primary_key = CompositeKey("cell_id", "metric", "day", "bucket")
            without_rowid = compact

    class ReportHistWeek(Model):
        cell_id = IntegerField()
        metric = SmallIntegerField()
        week = DateField()
        bucket = SmallIntegerField()
        n = IntegerField(default=0)
        total = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "report_hist_week"
            primary_key = CompositeKey("cell_id", "metric", "week", "bucket")
            without_rowid = compact

    class ReportMeta(Model):
        key = CharField(max_length=64, primary_key=True)
        value = TextField()

        class Meta:
            database = db
            table_name = "report_meta"

    db.create_tables(
        [
            ReportTag,
            ReportCycle,
            ReportCycleTag,
            ReportSnooze,
            ReportReply,
            ReportCell,
            ReportDaily,
            ReportHist,
            ReportHistWeek,
            ReportMeta,
        ]
    )

    if not compact:
        # PostgreSQL: the histogram reads are index-only scans when the key
        # carries the counts (rows of one slice are spread over the heap).
        for table, time in (("report_hist", "day"), ("report_hist_week", "week")):
            db.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
            db.execute_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey "
                f"PRIMARY KEY (cell_id, metric, {time}, bucket) INCLUDE (n, total)"
            )


def down(migrator, db):
    for table in (
        "report_meta",
        "report_hist_week",
        "report_hist",
        "report_daily",
        "report_cell",
        "report_reply",
        "report_snooze",
        "report_cycle_tag",
        "report_cycle",
        "report_tag",
    ):
        migrator.migrate(migrator.drop_table(table))
