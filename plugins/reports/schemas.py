"""The reports plugin's settings, and the query and answer shapes of its API."""

import datetime as dt

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.plugin import ClosedDates, TimeZone, WeeklyHours

MAX_RANGE_DAYS = 366
PRESETS = (7, 30, 90)


class ReportSettings(ma.Schema):
    """What the merchant controls: the day boundary, business hours and
    whether support agents may compare agents."""

    timezone = TimeZone(
        load_default="UTC",
        error_messages={"zone": _l("Unknown time zone (use an IANA name like Europe/Paris).")},
        metadata={
            "label": _l("Time zone of report days"),
            "help": _l("Where a report day starts and ends. After a change, run `helpline reports rebuild`."),
        },
    )
    business_hours = ma.fields.String(
        load_default="off",
        validate=ma.validate.OneOf(
            ("off", "webchat", "custom"),
            labels=(_l("Off"), _l("Web chat office hours"), _l("The hours below")),
        ),
        metadata={
            "label": _l("Business-hours times"),
            "help": _l("Also measure times counting only opening hours (nights, weekends and closed dates skipped)."),
        },
    )
    hours_timezone = TimeZone(
        load_default="UTC",
        error_messages={"zone": _l("Unknown time zone (use an IANA name like Europe/Paris).")},
        metadata={
            "label": _l("Time zone of the hours below"),
            "help": _l("Opening hours follow its clock, daylight saving included."),
        },
    )
    hours_schedule = WeeklyHours(
        metadata={
            "label": _l("Opening hours"),
            "help": _l('Used when business-hours times are "The hours below". A day without times is closed.'),
        },
    )
    closed_dates = ClosedDates(
        metadata={"label": _l("Closed dates"), "help": _l("No opening hours on these dates.")},
    )
    support_sees_agents = ma.fields.Boolean(
        load_default=False,
        metadata={
            "label": _l("Support agents see every agent's figures"),
            "help": _l("Otherwise only owners, admins and managers compare agents; everyone sees their own."),
        },
    )


# --- API ----------------------------------------------------------------------


class ReportQuery(ma.Schema):
    """A date range (a preset or ``start``/``end``) and the filters."""

    days = ma.fields.Integer(
        validate=ma.validate.OneOf(PRESETS),
        metadata={"description": "A preset: the last 7, 30 or 90 days, today included (default 30)."},
    )
    start = ma.fields.Date(metadata={"description": "First day (report time zone), with `end`."})
    end = ma.fields.Date(metadata={"description": "Last day, included."})
    channel = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Za-z0-9_.-]{1,32}$", error=_l("A channel is a slug such as email or sms."))
    )
    agent = ma.fields.String(
        validate=ma.validate.Regexp(r"^(none|\d{1,12})$", error=_l("Use an agent id or none.")),
        metadata={"description": "An agent id, or `none` for unassigned."},
    )
    tag = ma.fields.String(
        validate=[
            ma.validate.Length(min=1, max=64),
            ma.validate.Regexp(r"^[^\x00-\x1f\x7f]+$", error=_l("A tag has no control characters.")),
        ]
    )
    compare = ma.fields.Boolean(
        load_default=True, metadata={"description": "Also compute the previous period of the same length."}
    )

    @ma.validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ma.ValidationError(_("Give both start and end, or neither."), "start" if start is None else "end")
        if start is not None:
            if "days" in data:
                raise ma.ValidationError(_("Give either days or start and end."), "days")
            if end < start:
                raise ma.ValidationError(_("The end is before the start."), "end")
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                raise ma.ValidationError(_("A range is at most %(n)d days.", n=MAX_RANGE_DAYS), "end")
            if start < dt.date(2000, 1, 1) or end > dt.date(2999, 12, 31):
                raise ma.ValidationError(_("Dates are between 2000 and 2999."), "start")


class Duration(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "How many durations were measured."})
    median = ma.fields.Integer(allow_none=True, metadata={"description": "Seconds (nearest rank)."})
    p90 = ma.fields.Integer(allow_none=True, metadata={"description": "Seconds (nearest rank)."})
    average = ma.fields.Integer(allow_none=True, metadata={"description": "Seconds, rounded."})


class Totals(ma.Schema):
    created = ma.fields.Integer()
    reopened = ma.fields.Integer()
    closed = ma.fields.Integer()
    auto_closed = ma.fields.Integer()
    auto_closed_share = ma.fields.Float(allow_none=True, metadata={"description": "auto_closed / closed."})
    replies = ma.fields.Integer()
    first_response = ma.fields.Nested(Duration)
    resolution = ma.fields.Nested(Duration)
    first_response_business = ma.fields.Nested(Duration, allow_none=True)
    resolution_business = ma.fields.Nested(Duration, allow_none=True)


class Backlog(ma.Schema):
    open = ma.fields.Integer(metadata={"description": "Unresolved and not snoozed at the end of the day."})
    snoozed = ma.fields.Integer()


class Period(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()


class Applied(ma.Schema):
    channel = ma.fields.String(allow_none=True)
    agent = ma.fields.String(allow_none=True)
    tag = ma.fields.String(allow_none=True)


class Meta(ma.Schema):
    period = ma.fields.Nested(Period)
    previous = ma.fields.Nested(Period)
    timezone = ma.fields.String()
    business_hours = ma.fields.Boolean()
    filters = ma.fields.Nested(Applied)
    stale = ma.fields.Boolean(metadata={"description": "Settings changed since the facts were computed: rebuild."})


class SummarySchema(ma.Schema):
    meta = ma.fields.Nested(Meta)
    current = ma.fields.Nested(Totals)
    previous = ma.fields.Nested(Totals, allow_none=True)
    backlog = ma.fields.Nested(Backlog, metadata={"description": "At the end of the period's last day."})


class DayRow(ma.Schema):
    day = ma.fields.Date()
    created = ma.fields.Integer()
    reopened = ma.fields.Integer()
    closed = ma.fields.Integer()
    auto_closed = ma.fields.Integer()
    replies = ma.fields.Integer()
    first_response_median = ma.fields.Integer(allow_none=True)
    resolution_median = ma.fields.Integer(allow_none=True)
    backlog_open = ma.fields.Integer()
    backlog_snoozed = ma.fields.Integer()


class DailySchema(ma.Schema):
    meta = ma.fields.Nested(Meta)
    days = ma.fields.List(ma.fields.Nested(DayRow))


class GroupRow(Totals):
    key = ma.fields.String(metadata={"description": "Channel slug, agent id (or none), or tag name."})
    label = ma.fields.String()


class GroupSchema(ma.Schema):
    meta = ma.fields.Nested(Meta)
    rows = ma.fields.List(ma.fields.Nested(GroupRow))
