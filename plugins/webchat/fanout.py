"""One event-bus subscription per process for all visitor streams.

Every reply publishes events to the whole bus. If each visitor stream held
its own subscription, every event would wake every stream thread (hundreds
of wake-ups per reply). Instead one dispatcher thread reads the bus and
hands each event only to the streams of the ticket it names; a stream whose
conversation has no ticket yet also gets ``message.created`` events so it
can learn its ticket."""

import collections
import logging
import queue
import threading

log = logging.getLogger(__name__)

IDLE_EXIT_SECONDS = 60
QUEUE_SIZE = 200


class Listener:
    """A stream's inbox. ``overflowed`` tells the stream to re-read the
    database (an event was dropped because the client was too slow)."""

    def __init__(self, ticket_id):
        self.ticket_id = ticket_id
        self.queue = queue.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False

    def get(self, timeout):
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def put(self, event):
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.overflowed = True


class Fanout:
    def __init__(self, bus):
        self.bus = bus
        self._lock = threading.Lock()
        self._by_ticket = collections.defaultdict(set)
        self._unbound = set()
        self._thread = None
        self._subscription = None

    def register(self, ticket_id):
        """A listener for ``ticket_id`` (None: not known yet). The bus is
        subscribed before this returns, so no later event is missed."""
        listener = Listener(ticket_id)
        with self._lock:
            self._ensure_running()
            self._index(listener)
        return listener

    def bind(self, listener, ticket_id):
        with self._lock:
            self._unindex(listener)
            listener.ticket_id = ticket_id
            self._index(listener)

    def unregister(self, listener):
        with self._lock:
            self._unindex(listener)

    @property
    def listener_count(self):
        with self._lock:
            return sum(len(s) for s in self._by_ticket.values()) + len(self._unbound)

    def _index(self, listener):
        if listener.ticket_id is None:
            self._unbound.add(listener)
        else:
            self._by_ticket[listener.ticket_id].add(listener)

    def _unindex(self, listener):
        self._unbound.discard(listener)
        listeners = self._by_ticket.get(listener.ticket_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._by_ticket[listener.ticket_id]

    def _ensure_running(self):
        if self._thread is not None:
            return
        self._subscription = self.bus.subscribe()
        self._thread = threading.Thread(
            target=self._run, args=(self._subscription,), name="webchat-fanout", daemon=True
        )
        self._thread.start()

    def _run(self, subscription):
        idle = 0.0
        while True:
            event = subscription.get(timeout=1.0)
            with self._lock:
                if event is None:
                    idle = idle + 1.0 if not self._by_ticket and not self._unbound else 0.0
                    if idle >= IDLE_EXIT_SECONDS:
                        # Nobody listening for a while: stop; the next stream restarts us.
                        subscription.close()
                        self._thread = self._subscription = None
                        return
                    continue
                idle = 0.0
                data = event.get("data") or {}
                targets = list(self._by_ticket.get(data.get("ticket_id"), ()))
                if event.get("type") == "message.created":
                    targets += list(self._unbound)
            for listener in targets:
                listener.put(event)


_lock = threading.Lock()


def get_fanout(app):
    """The dispatcher of ``app``'s event bus (one per app and process)."""
    with _lock:
        fanout = app.extensions.get("webchat.fanout")
        if fanout is None:
            fanout = app.extensions["webchat.fanout"] = Fanout(app.extensions["helpline.bus"])
        return fanout
