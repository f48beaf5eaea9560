"""What a plugin gives ``helpline streams`` (hook ``helpline_register_streams``)
and what its stream handler gets: :class:`StreamRoute`, :class:`StreamRequest`
and :class:`Subscription`. The server itself is :mod:`app.streams`.

A handler runs on the stream server's asyncio loop, so an open stream costs
a coroutine and a socket, not a thread. Everything blocking (the database,
the web app's own checks) goes through :meth:`StreamRequest.run`, which calls
it in a small thread pool inside a Flask request context built from the
stream's request, so ``flask.request``, sessions, tokens and plugin settings
behave as on the web hosts.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import typing

#: Events a stream may hold unread before it is marked ``overflowed``.
QUEUE_SIZE = 1000


@dataclasses.dataclass(frozen=True)
class StreamRoute:
    """One GET route of ``helpline streams``.

    :param path: an aiohttp path pattern, ``{name}`` or ``{name:regex}`` for
        a variable (``/api/v1/shop/orders/{oid:[0-9]{1,18}}/stream``); the same
        path the plugin's Flask blueprint serves, so the reverse proxy can send
        it to either.
    :param handler: an async generator function ``handler(stream)`` yielding
        Server-Sent Events text (``"event: x\\ndata: {}\\n\\n"``), or an async
        function ``handler(stream)`` returning an aiohttp response.
        A :class:`app.services.ServiceError` raised before the first event (or
        by the async function) is answered in the one JSON error shape with
        its status.
    """

    path: str
    handler: typing.Callable


class Subscription:
    """A stream's inbox on the event bus. ``follow(ticket_id)`` narrows it to
    the events whose ``data.ticket_id`` is that ticket (None: every event).
    ``overflowed`` is set when an event was dropped because the client read
    too slowly: re-read the database, then clear it."""

    def __init__(self, hub, ticket_id=None):
        self._hub = hub
        self.ticket_id = ticket_id
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False

    async def get(self, timeout):
        """The next event (a dict with ``type`` and ``data``), or None after
        ``timeout`` seconds without one."""
        # An event already waiting costs no timer. Otherwise asyncio.timeout,
        # not wait_for: wait_for wraps every wait in a task of its own, and a
        # stream server wakes thousands of these waits for each event.
        if not self.queue.empty():
            return self.queue.get_nowait()
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    def pending(self):
        """The events already waiting, taken without waiting (a stream that
        fell behind writes them in one go)."""
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events

    def follow(self, ticket_id):
        """Receive only the events of ``ticket_id`` from now on (None: all)."""
        self._hub.move(self, ticket_id)

    def put(self, event):
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:  # a stalled client loses events, never blocks others
            self.overflowed = True

    def close(self):
        self._hub.unsubscribe(self)


class Hub:
    """The events of one bus subscription, handed to the subscriptions of the
    ticket each event names, and to those that follow every event."""

    def __init__(self):
        self._every: set[Subscription] = set()
        self._by_ticket: dict = collections.defaultdict(set)

    def subscribe(self, ticket_id=None):
        subscription = Subscription(self, ticket_id)
        self._index(subscription)
        return subscription

    def unsubscribe(self, subscription):
        self._every.discard(subscription)
        followers = self._by_ticket.get(subscription.ticket_id)
        if followers is not None:
            followers.discard(subscription)
            if not followers:
                del self._by_ticket[subscription.ticket_id]

    def move(self, subscription, ticket_id):
        self.unsubscribe(subscription)
        subscription.ticket_id = ticket_id
        self._index(subscription)

    def _index(self, subscription):
        if subscription.ticket_id is None:
            self._every.add(subscription)
        else:
            self._by_ticket[subscription.ticket_id].add(subscription)

    def __len__(self):
        return len(self._every) + sum(len(s) for s in self._by_ticket.values())

    def deliver(self, event):
        data = event.get("data") if isinstance(event, dict) else None
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        # The ticket's own followers first: the loop wakes them in this order,
        # and the few streams an event is about should not wait behind every
        # agent tab.
        targets = list(self._by_ticket.get(ticket_id, ())) if ticket_id is not None else []
        targets += self._every
        for subscription in targets:
            subscription.put(event)


class StreamRequest:
    """What a stream handler gets: the request, the web app and a way to run
    blocking code. Response headers set in :attr:`headers` before the first
    event go out with the answer (error answers included)."""

    def __init__(self, request, flask_app, hub, executor, slots):
        #: the aiohttp request
        self.request = request
        #: the Flask app of this deployment
        self.app = flask_app
        #: the path variables of the route
        self.match: dict = dict(request.match_info)
        #: the query arguments (one value each)
        self.query: dict = dict(request.query)
        #: headers of the stream's answer
        self.headers: dict = {}
        self._hub = hub
        self._executor = executor
        self._slots = slots
        self._subscriptions: list[Subscription] = []

    async def run(self, fn, *args):
        """``fn(*args)`` in a worker thread, inside a Flask request context
        made from this request (its path, query, headers and client address)
        and with a database connection; returns its result or raises its
        exception. Calls queue for one of ``STREAMS_DB_THREADS`` threads, so
        a burst of streams never exhausts the database's connections."""
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn, args)

    def _call(self, fn, args):
        from werkzeug.middleware.proxy_fix import ProxyFix
        from werkzeug.test import EnvironBuilder

        from .db import connection

        request = self.request
        builder = EnvironBuilder(
            path=request.path,
            query_string=request.rel_url.raw_query_string,  # as sent: werkzeug decodes it
            headers=list(request.headers.items()),
            environ_base={"REMOTE_ADDR": request.remote or ""},
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        hops = int(self.app.config.get("PROXY_HOPS") or 0)
        if hops:  # the client's address, scheme and host as the web hosts see them
            environ = ProxyFix(lambda env, _start: env, x_for=hops, x_proto=hops, x_host=hops)(environ, None)
        with self.app.request_context(environ), connection():
            return fn(*args)

    def subscribe(self, ticket_id=None):
        """A :class:`Subscription` to the deployment's event bus, closed when
        the handler ends. Subscribe before reading what happened so far, so
        no event falls in between."""
        subscription = self._hub.subscribe(ticket_id)
        self._subscriptions.append(subscription)
        return subscription

    def close(self):
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions.clear()
