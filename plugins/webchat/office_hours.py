"""Office hours: is the team available at a given instant?

The schedule is wall-clock time in the merchant's IANA time zone, so a
09:00 opening stays 09:00 local across daylight-saving changes (it moves in
UTC). Ranges are ``[open, close)``; closed dates win over the schedule. The
rules are the core's :func:`app.plugin.is_open_at`, shared with reports."""

from app.plugin import is_open_at


def is_open(settings, at_utc):
    """True when ``at_utc`` (naive UTC) falls inside an opening range."""
    return is_open_at(settings.get("timezone"), settings.get("schedule"), settings.get("closed_dates"), at_utc)
