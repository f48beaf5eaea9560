"""Business hours: how many seconds of an interval fall inside opening
hours. The schedule is wall-clock time in an IANA zone (a 09:00 opening stays
09:00 local across daylight-saving changes); ranges are ``[open, close)``;
closed dates have no hours at all."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from app.plugin import WEEKDAYS, minutes


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Weekly opening ranges in minutes, per weekday index (Monday 0)."""

    zone: zoneinfo.ZoneInfo
    week: tuple  # 7 tuples of (open_minute, close_minute)
    closed: frozenset  # dates without hours

    @classmethod
    def from_settings(cls, timezone, schedule, closed_dates=()):
        """Build from the web chat's (or the reports' own) settings shape:
        ``schedule = {"mon": [{"open": "09:00", "close": "17:00"}], ...}``."""
        week = tuple(
            tuple(sorted((minutes(r["open"]), minutes(r["close"])) for r in (schedule or {}).get(day) or ()))
            for day in WEEKDAYS
        )
        closed = frozenset(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in closed_dates or ())
        return cls(zoneinfo.ZoneInfo(timezone or "UTC"), week, closed)

    def signature(self):
        """A stable text naming the schedule (to notice a change)."""
        return f"{self.zone.key}|{self.week}|{sorted(self.closed)}"

    def business_seconds(self, start, end):
        """Seconds between two naive-UTC instants that fall inside opening
        hours (0 when ``end <= start``)."""
        if end <= start:
            return 0
        utc = dt.UTC
        first = start.replace(tzinfo=utc).astimezone(self.zone).date()
        last = end.replace(tzinfo=utc).astimezone(self.zone).date()
        total = 0.0
        day = first - dt.timedelta(days=1)  # a range may cross into the next UTC day
        while day <= last:
            if day not in self.closed:
                for open_min, close_min in self.week[day.weekday()]:
                    lo = self._instant(day, open_min)
                    hi = self._instant(day, close_min)
                    overlap = (min(hi, end) - max(lo, start)).total_seconds()
                    if overlap > 0:
                        total += overlap
            day += dt.timedelta(days=1)
        return int(total)

    def _instant(self, day, minute):
        """Local wall time ``minute`` after midnight of ``day`` as naive UTC."""
        local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
        return local.replace(tzinfo=self.zone).astimezone(dt.UTC).replace(tzinfo=None)
