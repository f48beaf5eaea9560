"""The reports: reads of the cube (``report_daily`` and ``report_hist``),
never of tickets or messages. Each report reads at most one row per day and
cell of its slice, so its cost follows the date range and the number of
groups, not the number of tickets (docs/reports.md, bench/reports.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

import peewee
from flask_babel import gettext as _

from app.plugin import Agent, db, get_plugins, now

from .buckets import percentile
from .config import fact_config, settings
from .models import (
    ALL_AGENTS,
    ALL_CHANNELS,
    ALL_TAGS,
    DAILY_FIELDS,
    FRT,
    FRT_BH,
    NO_AGENT,
    RESOLUTION,
    RESOLUTION_BH,
    ReportCell,
    ReportDaily,
    ReportHist,
    ReportHistWeek,
    ReportTag,
)
from .store import stored_signature

UNKNOWN = -(2**31)  # a filter value that matches no cell


@dataclasses.dataclass(frozen=True)
class Query:
    """A validated report request: an inclusive range of report days and
    optional filters (``agent_key`` uses ``NO_AGENT`` for unassigned)."""

    start: dt.date
    end: dt.date
    channel: str | None = None
    agent_key: int | None = None
    tag: str | None = None
    compare: bool = True

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def previous(self):
        """The period of the same length just before."""
        return self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1)

    def tag_key(self):
        if not self.tag:
            return ALL_TAGS
        row = ReportTag.get_or_none(ReportTag.name == self.tag.strip().lower())
        return row.id if row else UNKNOWN


def today():
    """Today in the report time zone."""
    return fact_config().day(now())


def preset(days, end=None):
    """The last ``days`` days up to ``end`` (default today), inclusive."""
    end = end or today()
    return end - dt.timedelta(days=days - 1), end


def business_hours_on():
    return settings()["business_hours"] != "off"


def meta(q: Query):
    start, end = q.previous
    return {
        "period": {"start": q.start, "end": q.end},
        "previous": {"start": start, "end": end},
        "timezone": settings()["timezone"],
        "business_hours": business_hours_on(),
        "filters": {
            "channel": q.channel,
            "agent": None if q.agent_key is None else ("none" if q.agent_key == NO_AGENT else str(q.agent_key)),
            "tag": q.tag,
        },
        "stale": stored_signature() not in (None, fact_config().signature),
    }


# --- cube reads ------------------------------------------------------------------


def _cells(channel, agent_key, tag_key, free=None):
    """``{cell_id: value of the free dimension}`` of the slice: the fixed
    dimensions equal (``None`` means "all"), the ``free`` one (``channel``,
    ``agent`` or ``tag``) anything but "all"."""
    conditions = []
    if free == "channel":
        conditions.append(ReportCell.channel != ALL_CHANNELS)
    else:
        conditions.append(ReportCell.channel == (channel if channel is not None else ALL_CHANNELS))
    if free == "agent":
        conditions.append(ReportCell.agent_key != ALL_AGENTS)
    else:
        conditions.append(ReportCell.agent_key == (agent_key if agent_key is not None else ALL_AGENTS))
    if free == "tag":
        conditions.append(ReportCell.tag_key != ALL_TAGS)
    else:
        conditions.append(ReportCell.tag_key == tag_key)
    column = {"channel": ReportCell.channel, "agent": ReportCell.agent_key, "tag": ReportCell.tag_key}.get(
        free, ReportCell.id
    )
    return dict(ReportCell.select(ReportCell.id, column).where(*conditions).tuples())


def _daily(cell_ids, start, end, by):
    """Summed daily fields, ``{group: {field: value}}`` grouped by ``cell``
    or ``day``, over ``[start, end]`` (``start`` None: from the beginning)."""
    if not cell_ids:
        return {}
    key = ReportDaily.cell_id if by == "cell" else ReportDaily.day
    where = [ReportDaily.cell_id.in_(list(cell_ids)), ReportDaily.day <= end]
    if start is not None:
        where.append(ReportDaily.day >= start)
    query = ReportDaily.select(key, *[peewee.fn.SUM(getattr(ReportDaily, f)) for f in DAILY_FIELDS]).where(*where)
    out, day = {}, _DayParser()
    for row in _raw(query.group_by(key)):
        out[day(row[0]) if by == "day" else row[0]] = {f: int(v or 0) for f, v in zip(DAILY_FIELDS, row[1:])}
    return out


def _hist(cell_ids, start, end, metrics, by):
    """``{(group, metric): [(bucket, n, total)]}`` over ``[start, end]``,
    grouped by ``cell`` (whole weeks read from ``report_hist_week``, the
    days around them from ``report_hist``) or by ``day``."""
    if not cell_ids:
        return {}
    out, day = defaultdict(list), _DayParser()
    if by == "day":
        query = _hist_query(ReportHist, ReportHist.day, cell_ids, metrics, [(start, end)], group_by_time=True)
        for group, metric, bucket, n, total in _raw(query):
            out[(day(group), metric)].append((bucket, int(n), int(total)))
        return out
    weeks, days = split_weeks(start, end)
    parts = []
    if weeks:
        parts.append(_hist_query(ReportHistWeek, ReportHistWeek.week, cell_ids, metrics, [weeks]))
    if days:
        parts.append(_hist_query(ReportHist, ReportHist.day, cell_ids, metrics, days))
    sql, params = [], []
    for part in parts:
        text, values = part.sql()
        sql.append(text)
        params.extend(values)
    union = " UNION ALL ".join(f"SELECT * FROM ({text}) AS p{i}" for i, text in enumerate(sql))
    rows = db.execute_sql(
        f"SELECT cell_id, metric, bucket, SUM(n), SUM(total) FROM ({union}) AS u GROUP BY cell_id, metric, bucket",
        params,
    ).fetchall()
    for group, metric, bucket, n, total in rows:
        out[(group, metric)].append((bucket, int(n), int(total)))
    return out


def _hist_query(model, time, cell_ids, metrics, spans, group_by_time=False):
    """Histogram rows of some cells and metrics over date spans, summed."""
    within = None
    for low, high in spans:
        condition = (time >= low) & (time <= high)
        within = condition if within is None else (within | condition)
    keys = [time] if group_by_time else [model.cell_id]
    return (
        model.select(
            *keys,
            model.metric,
            model.bucket,
            peewee.fn.SUM(model.n).alias("n"),
            peewee.fn.SUM(model.total).alias("total"),
        )
        .where(model.cell_id.in_(list(cell_ids)), model.metric.in_(list(metrics)), within)
        .group_by(*keys, model.metric, model.bucket)
    )


def split_weeks(start, end):
    """``[start, end]`` as a span of week starts covering whole Monday-Sunday
    weeks inside it (or None), and the spans of days left over."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)  # first Monday in the range
    last = end - dt.timedelta(days=(end.weekday() + 1) % 7)  # last Sunday in the range
    if last < first:
        return None, [(start, end)]
    days = []
    if start < first:
        days.append((start, first - dt.timedelta(days=1)))
    if last < end:
        days.append((last + dt.timedelta(days=1), end))
    return (first, last - dt.timedelta(days=6)), days


def _raw(query):
    """Rows as the driver returns them: these reads return up to hundreds of
    thousands of small rows, and per-value conversion would dominate."""
    return db.execute_sql(*query.sql()).fetchall()


class _DayParser:
    """Report days as dates, parsing each distinct text once (SQLite
    returns dates as text, PostgreSQL as dates)."""

    def __init__(self):
        self.seen = {}

    def __call__(self, value):
        if isinstance(value, dt.date):
            return value
        found = self.seen.get(value)
        if found is None:
            found = self.seen[value] = dt.date.fromisoformat(str(value)[:10])
        return found


def _duration(buckets, count, total):
    return {
        "count": count,
        "median": percentile(buckets, 0.5),
        "p90": percentile(buckets, 0.9),
        "average": round(total / count) if count else None,
    }


def _totals(sums, hist, group, business):
    """The Totals shape from summed fields and histograms of one group."""
    s = sums or dict.fromkeys(DAILY_FIELDS, 0)
    out = {
        "created": s["created"],
        "reopened": s["reopened"],
        "closed": s["closed"],
        "auto_closed": s["auto_closed"],
        "auto_closed_share": (s["auto_closed"] / s["closed"]) if s["closed"] else None,
        "replies": s["replies"],
        "first_response": _duration(hist.get((group, FRT), ()), s["frt_n"], s["frt_sum"]),
        "resolution": _duration(hist.get((group, RESOLUTION), ()), s["closed"], s["resolution_sum"]),
        "first_response_business": None,
        "resolution_business": None,
    }
    if business:
        out["first_response_business"] = _duration(hist.get((group, FRT_BH), ()), s["frt_bh_n"], s["frt_bh_sum"])
        out["resolution_business"] = _duration(
            hist.get((group, RESOLUTION_BH), ()), s["resolution_bh_n"], s["resolution_bh_sum"]
        )
    return out


def _metrics(business):
    return (FRT, RESOLUTION, FRT_BH, RESOLUTION_BH) if business else (FRT, RESOLUTION)


def _slice(q: Query):
    return q.channel, q.agent_key, q.tag_key()


# --- the reports ---------------------------------------------------------------------


def summary(q: Query):
    """Totals of the period (and the previous one), and the backlog at its end."""
    business = business_hours_on()
    cells = _cells(*_slice(q))
    periods = [(q.start, q.end)] + ([q.previous] if q.compare else [])
    results = []
    for start, end in periods:
        sums = _daily(cells, start, end, by="cell")
        hist = _hist(cells, start, end, _metrics(business), by="cell")
        cell = next(iter(cells), None)
        results.append(_totals(sums.get(cell), hist, cell, business))
    return {
        "meta": meta(q),
        "current": results[0],
        "previous": results[1] if q.compare else None,
        "backlog": backlog_at(cells, q.end),
    }


def backlog_at(cells, day):
    """Cycles unresolved at the end of ``day`` (started, not yet closed),
    split into snoozed and the rest."""
    sums = _daily(cells, None, day, by="cell")
    s = next(iter(sums.values()), None) or dict.fromkeys(DAILY_FIELDS, 0)
    unresolved = s["created"] + s["reopened"] - s["closed"]
    snoozed = s["snoozed_in"] - s["snoozed_out"]
    return {"open": unresolved - snoozed, "snoozed": snoozed}


def daily(q: Query):
    """One row per day of the period (days without activity included)."""
    cells = _cells(*_slice(q))
    per_day = _daily(cells, q.start, q.end, by="day")
    hist = _hist(cells, q.start, q.end, (FRT, RESOLUTION), by="day")
    before = backlog_at(cells, q.start - dt.timedelta(days=1))
    open_, snoozed = before["open"], before["snoozed"]
    days = []
    for i in range(q.days):
        day = q.start + dt.timedelta(days=i)
        s = per_day.get(day) or dict.fromkeys(DAILY_FIELDS, 0)
        snoozed_change = s["snoozed_in"] - s["snoozed_out"]
        open_ += s["created"] + s["reopened"] - s["closed"] - snoozed_change
        snoozed += snoozed_change
        days.append(
            {
                "day": day,
                "created": s["created"],
                "reopened": s["reopened"],
                "closed": s["closed"],
                "auto_closed": s["auto_closed"],
                "replies": s["replies"],
                "first_response_median": percentile(hist.get((day, FRT), ()), 0.5),
                "resolution_median": percentile(hist.get((day, RESOLUTION), ()), 0.5),
                "backlog_open": open_,
                "backlog_snoozed": snoozed,
            }
        )
    return {"meta": meta(q), "days": days}


def groups(q: Query, by, only=None):
    """Totals per channel, agent or tag over the period, busiest first.
    ``only`` keeps just these group values (a support agent's own row)."""
    business = business_hours_on()
    channel, agent_key, tag_key = _slice(q)
    cells = _cells(channel, agent_key, tag_key, free=by)
    chosen = {"channel": channel, "agent": agent_key, "tag": tag_key if q.tag else None}[by]
    if chosen is not None:  # filtered on this dimension too: that group only
        cells = {c: v for c, v in cells.items() if v == chosen}
    if only is not None:
        cells = {c: v for c, v in cells.items() if v in only}
    sums = _daily(cells, q.start, q.end, by="cell")
    hist = _hist(cells, q.start, q.end, _metrics(business), by="cell")
    labels = _labels(by, set(cells.values()))
    rows = []
    for cell, value in cells.items():
        if cell not in sums:
            continue
        totals = _totals(sums[cell], hist, cell, business)
        if (
            not any(totals[k] for k in ("created", "reopened", "closed", "replies"))
            and not totals["first_response"]["count"]
        ):
            continue
        key = "none" if (by == "agent" and value == NO_AGENT) else str(value)
        if by == "tag":
            key = labels.get(value, str(value))
        rows.append({"key": key, "label": labels.get(value, str(value)), **totals})
    rows.sort(key=lambda r: (-(r["closed"] + r["created"] + r["replies"]), r["label"].lower()))
    return {"meta": meta(q), "rows": rows}


def _labels(by, values):
    if by == "channel":
        registry = get_plugins().channels
        return {v: str(getattr(registry.get(v), "label", None) or v) for v in values}
    if by == "agent":
        ids = [v for v in values if v > 0]
        names = dict(Agent.select(Agent.id, Agent.name).where(Agent.id.in_(ids)).tuples()) if ids else {}
        return {v: (_("Unassigned") if v == NO_AGENT else names.get(v, _("Agent #%(id)s", id=v))) for v in values}
    ids = [v for v in values if v > 0]
    return dict(ReportTag.select(ReportTag.id, ReportTag.name).where(ReportTag.id.in_(ids)).tuples()) if ids else {}


def filter_choices():
    """What the filter menus offer: channels, agents and tags seen in reports."""
    registry = get_plugins().channels
    channels = sorted(
        {
            c
            for (c,) in ReportCell.select(ReportCell.channel)
            .where(ReportCell.channel != ALL_CHANNELS)
            .distinct()
            .tuples()
        }
        | set(registry.keys())
    )
    agents = list(Agent.select(Agent.id, Agent.name).order_by(Agent.name).tuples())
    tags = [n for (n,) in ReportTag.select(ReportTag.name).order_by(ReportTag.name).tuples()]
    return {
        "channels": [(c, str(getattr(registry.get(c), "label", None) or c)) for c in channels],
        "agents": agents,
        "tags": tags,
    }
