"""The live event bus that feeds Server-Sent Events to browsers: in-process
for the embedded default, Redis pub/sub at scale (so every web worker sees
every event).

It sits below the plugin system (the plugin state store announces toggles
on it), so it imports nothing from the rest of the app.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

REDIS_CHANNEL = "helpline:events"


class Subscription:
    def __init__(self, bus):
        self._bus = bus
        self._queue = queue.Queue(maxsize=1000)

    def get(self, timeout=None):
        """The next event dict, or None after ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _put(self, event):
        try:
            self._queue.put_nowait(event)
        except queue.Full:  # a stalled client loses old events, never blocks others
            log.warning("event subscriber queue full; dropping event %s", event.get("type"))

    def close(self):
        self._bus._unsubscribe(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalBus:
    """Fan-out to subscribers in this process."""

    def __init__(self):
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def publish(self, event):
        event.setdefault("id", next(self._ids))
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub._put(event)

    def publish_many(self, events):
        """Publish ``events`` in order (one round trip on Redis)."""
        for event in events:
            self.publish(event)

    def subscribe(self):
        sub = Subscription(self)
        with self._lock:
            self._subs.add(sub)
        return sub

    def _unsubscribe(self, sub):
        with self._lock:
            self._subs.discard(sub)

    def ping(self):
        """Raise when the bus cannot carry events (nothing to reach here)."""

    @property
    def subscriber_count(self):
        return len(self._subs)

    def close(self):
        pass


class RedisBus(LocalBus):
    """Publishes to a Redis channel; one listener thread per process fans
    events out to local subscribers."""

    def __init__(self, url, channel=REDIS_CHANNEL):
        super().__init__()
        import redis

        self._channel = channel
        self._redis = redis.Redis.from_url(url)
        self._listener = None
        self._pubsub = None

    def publish(self, event):
        self._redis.publish(self._channel, json.dumps(event, default=str))

    def publish_many(self, events):
        # A pipeline: one round trip for a sweep's hundreds of events.
        pipe = self._redis.pipeline(transaction=False)
        for event in events:
            pipe.publish(self._channel, json.dumps(event, default=str))
        pipe.execute()

    def ping(self):
        self._redis.ping()

    def subscribe(self):
        self._ensure_listener()
        return super().subscribe()

    def _ensure_listener(self):
        with self._lock:
            if self._listener is not None:
                return
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(self._channel)
            self._listener = threading.Thread(target=self._listen, name="helpline-events", daemon=True)
            self._listener.start()

    def _listen(self):
        while True:
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except Exception:  # connection closed on shutdown
                return
            if message is None or message.get("type") != "message":
                continue
            try:
                event = json.loads(message["data"])
            except ValueError:
                continue
            LocalBus.publish(self, event)

    def close(self):
        if self._pubsub is not None:
            try:
                self._pubsub.close()
            except Exception:
                pass


def make_bus(url, channel=REDIS_CHANNEL):
    if url and str(url).startswith("redis"):
        return RedisBus(url, channel or REDIS_CHANNEL)
    return LocalBus()


def get_bus(app=None):
    return (app or current_app).extensions["helpline.bus"]


def event_for(event_type, data, to=None):
    """The event dict; ``to`` (an agent id) makes it private: the agent
    streams deliver it to that agent's pages only."""
    event = {"type": event_type, "data": data}
    if to is not None:
        event["to"] = to
    return event


#: Event types that concern one ticket's page only: an agent stream sends
#: them only when it was opened for that ticket (``?ticket=<id>``, as the
#: ticket page does), so a presence heartbeat on one ticket does not go to
#: every open tab of every agent.
TICKET_SCOPED = frozenset({"ticket.presence", "typing"})


def delivered_to(event, agent_id, ticket_id=None) -> bool:
    """Whether an agent stream of ``agent_id``, opened for ``ticket_id``
    (or for no ticket), sends ``event``."""
    to = event.get("to")
    if to is not None and to != agent_id:
        return False
    if event.get("type") in TICKET_SCOPED:
        return ticket_id is not None and (event.get("data") or {}).get("ticket_id") == ticket_id
    return True


def publish(event_type, data, to=None):
    """Send an event to every connected browser, or only to agent ``to``'s
    (no-op outside an app)."""
    if not has_app_context():
        return
    try:
        get_bus().publish(event_for(event_type, data, to))
    except Exception:
        log.exception("could not publish %s", event_type)


def publish_batch(events):
    """Publish ``[{"type": ..., "data": ...}, ...]`` in order, at once
    (no-op outside an app)."""
    if not has_app_context() or not events:
        return
    try:
        get_bus().publish_many(events)
    except Exception:
        log.exception("could not publish %d events", len(events))
