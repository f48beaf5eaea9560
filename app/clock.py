"""Time as a dependency. Services ask the app's clock for "now" so tests can
move time forward instead of sleeping."""

import datetime as dt
import threading

from flask import current_app, has_app_context


def utcnow():
    """The real current time, naive UTC (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class SystemClock:
    def now(self):
        return utcnow()


class FrozenClock:
    """A clock that only moves when told to; shared by every thread."""

    def __init__(self, start=None):
        self._now = start or dt.datetime(2026, 1, 5, 9, 0, 0)
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self._now

    def set(self, when):
        with self._lock:
            self._now = when

    def advance(self, **delta):
        with self._lock:
            self._now += dt.timedelta(**delta)
            return self._now


_system = SystemClock()


def get_clock():
    if has_app_context():
        return current_app.extensions.get("helpline.clock", _system)
    return _system


def now():
    """Current naive-UTC time from the active app's clock."""
    return get_clock().now()


def utc_iso(moment):
    """A stored (naive UTC) time as ISO 8601 with its offset, as every JSON
    answer writes times (``2026-01-05T09:00:00+00:00``); None stays None."""
    return None if moment is None else moment.replace(tzinfo=dt.UTC).isoformat()
