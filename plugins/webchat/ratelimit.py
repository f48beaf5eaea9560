"""A small fixed-window rate limiter for the public widget endpoints.

Counters live in this process (bounded in size), which is enough to stop a
runaway or hostile widget from flooding one worker; with N workers the
effective limit is N times higher. ``RATELIMIT_ENABLED = False`` (tests)
turns it off."""

import threading
import time

from flask import current_app

MAX_KEYS = 50_000


class Limiter:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {}

    def hit(self, key, limit, per_seconds):
        """Count one hit for ``key``; False once the window's limit is passed."""
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return True
        # Real time, not the injected clock: this protects the process.
        window = int(time.monotonic() // per_seconds)
        with self._lock:
            if len(self._counts) > MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
                if len(self._counts) > MAX_KEYS:
                    self._counts.clear()
            start, count = self._counts.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._counts[key] = (start, count)
        return count <= limit


limiter = Limiter()
