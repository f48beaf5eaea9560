"""Office hours: is the team available at a given instant?

The schedule is wall-clock time in the merchant's IANA time zone, so a
09:00 opening stays 09:00 local across daylight-saving changes (it moves in
UTC). Ranges are ``[open, close)``; closed dates win over the schedule."""

import datetime as dt
import zoneinfo

from .schemas import WEEKDAYS, closed_date_set, minutes


def local_time(settings, at_utc):
    """``at_utc`` (naive UTC) as an aware datetime in the merchant's zone."""
    zone = zoneinfo.ZoneInfo(settings.get("timezone") or "UTC")
    return at_utc.replace(tzinfo=dt.UTC).astimezone(zone)


def is_open(settings, at_utc):
    """True when ``at_utc`` (naive UTC) falls inside an opening range."""
    local = local_time(settings, at_utc)
    if local.date() in closed_date_set(settings):
        return False
    ranges = (settings.get("schedule") or {}).get(WEEKDAYS[local.weekday()]) or ()
    now_minutes = local.hour * 60 + local.minute
    return any(minutes(r["open"]) <= now_minutes < minutes(r["close"]) for r in ranges)
