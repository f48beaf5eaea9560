"""What the facts depend on besides the tickets: the time zone of report
days and the business-hours schedule, read from the settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import zoneinfo

from app.plugin import plugin_settings

from .hours import Schedule

log = logging.getLogger(__name__)
PLUGIN = "reports"


@dataclasses.dataclass(frozen=True)
class FactConfig:
    zone: zoneinfo.ZoneInfo
    schedule: Schedule | None

    def day(self, at):
        """The report day (a local date) of a naive-UTC instant."""
        return at.replace(tzinfo=dt.UTC).astimezone(self.zone).date()

    def business(self, start, end):
        """Business seconds between two instants, or None without a schedule."""
        return self.schedule.business_seconds(start, end) if self.schedule is not None else None

    @property
    def signature(self):
        return f"{self.zone.key}#{self.schedule.signature() if self.schedule else 'off'}"


def settings():
    return plugin_settings(PLUGIN)


def fact_config() -> FactConfig:
    """The configuration facts are computed with now."""
    s = settings()
    zone = zoneinfo.ZoneInfo(s["timezone"])
    schedule = None
    if s["business_hours"] == "custom":
        schedule = Schedule.from_settings(s["hours_timezone"], s["hours_schedule"], s["closed_dates"])
    elif s["business_hours"] == "webchat":
        try:
            chat = plugin_settings("webchat")
        except Exception:  # web chat not installed: no hours to follow
            log.warning("reports: business hours follow web chat, but its settings are not available")
        else:
            schedule = Schedule.from_settings(chat.get("timezone"), chat.get("schedule"), chat.get("closed_dates"))
    return FactConfig(zone, schedule)
