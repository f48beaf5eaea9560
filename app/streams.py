"""``helpline streams``: the live streams served by one asyncio process
(aiohttp), so open tabs and chat windows cost a coroutine and a socket each
instead of a web server thread: the agents' ``/events/stream`` and every
stream route plugins register (``helpline_register_streams``, for example
the web chat visitor stream).

It reads the Redis event bus of the deployment (``EVENTS_URL`` and its
prefixed channel) with one subscription per process and fans events out to
the open streams (:class:`app.stream_routes.Hub`). Authentication is the web
app's own: each new agent stream's ``Cookie`` and ``Authorization`` headers
are checked by :func:`app.auth.current_agent` in a worker thread (one
database query per connection, none per event), so sessions, tokens,
deactivation and roles behave exactly as on the Flask route; plugin streams
run their own checks the same way (:meth:`StreamRequest.run`). A disabled
plugin's routes answer 404, decided per stream. The reverse proxy routes
these paths here; ``helpline run`` and the gunicorn hosts keep serving the
same routes themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import json
import logging
import os

import marshmallow as ma
from aiohttp import web
from flask_babel import gettext as _

from .auth import current_agent
from .bus import delivered_to
from .db import connection
from .permissions import can
from .plugins import field_messages, get_plugins
from .services import ServiceError
from .stream_routes import Hub as Fanout
from .stream_routes import StreamRequest
from .web.stream import StreamArgs, sse

log = logging.getLogger(__name__)

HUB = web.AppKey("hub", object)
HUB_TASK = web.AppKey("hub_task", asyncio.Task)
#: How many recent events keep their encoded form (see :meth:`Hub.encoded`).
ENCODED_KEPT = 64


class Hub(Fanout):
    """One Redis subscription per process, fanned out to the open streams."""

    def __init__(self, url, channel):
        super().__init__()
        self.url = url
        self.channel = channel
        self.ready = asyncio.Event()
        self._encoded: dict[int, tuple[dict, bytes]] = {}

    async def run(self):
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.url)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: resubscribe, streams stay open
                log.exception("event bus subscription lost; reconnecting")
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def encoded(self, event):
        """``event`` as SSE bytes, encoded once for all the agent streams that
        send it (thousands of tabs get the same event at once). Kept for the
        last few events: a stream that fell behind writes several at once."""
        cached = self._encoded.get(id(event))
        if cached is not None and cached[0] is event:
            return cached[1]
        if len(self._encoded) >= ENCODED_KEPT:
            self._encoded.clear()
        data = sse(event).encode()
        self._encoded[id(event)] = (event, data)
        return data

    def _receive(self, raw):
        try:
            event = json.loads(raw)
        except ValueError:
            return
        if isinstance(event, dict):
            self.deliver(event)


def _error(status, code, message, fields=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return web.json_response({"error": body}, status=status)


def _check_agent(flask_app, headers):
    """``(agent_id, None)`` when the request's session or token belongs to
    an agent who may use the inbox, else ``(None, (status, code, message))``."""
    with flask_app.test_request_context("/events/stream", headers=headers), connection():
        agent = current_agent()
        if agent is None:
            return None, (401, "unauthorized", _("Log in first: a session cookie or an Authorization: Bearer token."))
        if not can(agent, "inbox"):
            return None, (403, "forbidden", _("Your role does not allow this."))
        return agent.id, None


def _plugin_enabled(plugins, name):
    return plugins.is_enabled(name)


def _service_error(error, headers):
    fields = getattr(error, "fields", None)
    if fields is None and error.field:
        fields = {error.field: [str(error.message)]}
    response = _error(error.status, error.code, error.message, fields)
    response.headers.update(headers)
    return response


def plugin_stream_view(plugin, route, flask_app, hub, executor, slots):
    """The aiohttp view of one plugin :class:`StreamRoute`: 404 while the
    plugin is disabled, its ``ServiceError`` before the first event as the
    JSON error answer, then its events as ``text/event-stream``."""
    plugins = get_plugins(flask_app)
    streaming = inspect.isasyncgenfunction(route.handler)

    async def view(request):
        stream = StreamRequest(request, flask_app, hub, executor, slots)
        try:
            if not await stream.run(_plugin_enabled, plugins, plugin):
                with flask_app.test_request_context():
                    return _error(404, "not_found", _("Not found."))
            if not streaming:
                try:
                    return await route.handler(stream)
                except ServiceError as error:
                    with flask_app.test_request_context():
                        return _service_error(error, stream.headers)
            events = route.handler(stream)
            try:
                first = await anext(events)
            except StopAsyncIteration:
                first = None
            except ServiceError as error:
                with flask_app.test_request_context():
                    return _service_error(error, stream.headers)
            response = web.StreamResponse(
                headers={
                    **stream.headers,
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-cache",
                    "X-Accel-Buffering": "no",
                }
            )
            await response.prepare(request)
            try:
                if first is not None:
                    await response.write(first.encode())
                    async for chunk in events:
                        await response.write(chunk.encode())
            except (ConnectionResetError, asyncio.CancelledError):
                pass  # the visitor left: the generator's finally blocks run below
            finally:
                await events.aclose()
            return response
        finally:
            stream.close()

    return view


def make_app(flask_app):
    """The aiohttp application serving ``/events/stream`` and the plugins'
    stream routes for ``flask_app``'s deployment (its Redis bus, sessions
    and database)."""
    url = flask_app.config.get("EVENTS_URL")
    if not (url and str(url).startswith("redis")):
        raise RuntimeError("helpline streams needs the Redis event bus: set HELPLINE_EVENTS_URL=redis://...")
    hub = Hub(url, flask_app.config["EVENTS_CHANNEL"])
    threads = int(flask_app.config.get("STREAMS_DB_THREADS") or 8)
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="streams-db")
    slots = asyncio.Semaphore(threads)

    async def stream(request):
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("cookie", "authorization", "accept")}
        async with slots:
            me, problem = await asyncio.get_running_loop().run_in_executor(executor, _check_agent, flask_app, headers)
        if problem is not None:
            return _error(*problem)
        with flask_app.test_request_context():
            try:
                args = StreamArgs().load(dict(request.query))
            except ma.ValidationError as err:
                return _error(422, "invalid", _("Some fields are not valid."), field_messages(err.messages))
        wanted, once, timeout, ticket_id = set(args["types"]), args["once"], args["timeout"], args["ticket"]
        subscription = hub.subscribe()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        try:
            await response.prepare(request)
            await response.write(b"retry: 3000\n\n")
            while True:
                event = await subscription.get(timeout)
                if event is None:
                    if once:
                        break
                    await response.write(b": keepalive\n\n")
                    continue
                # Everything that queued up while this stream waited for its
                # turn goes out in one write (one wake-up, one syscall).
                batch = [event] if once else [event, *subscription.pending()]
                chunks = [
                    hub.encoded(e)
                    for e in batch
                    if (not wanted or e.get("type") in wanted) and delivered_to(e, me, ticket_id)
                ]
                if not chunks:
                    continue
                await response.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
                if once:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the tab closed
        finally:
            subscription.close()
        return response

    async def healthz(request):
        return web.json_response({"status": "ok", "streams": len(hub), "process": os.getpid()})

    async def start_hub(app):
        app[HUB_TASK] = asyncio.create_task(hub.run())
        await asyncio.wait_for(hub.ready.wait(), 10)

    async def stop_hub(app):
        # Plugin streams still open record their end (web chat presence)
        # through the thread pool: end them while it still runs.
        handlers = [task for task in hub.handlers if not task.done()]
        for task in handlers:
            task.cancel()
        if handlers:
            await asyncio.wait(handlers, timeout=5)
        app[HUB_TASK].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app[HUB_TASK]
        executor.shutdown(wait=False, cancel_futures=True)

    app = web.Application()
    app[HUB] = hub
    app.router.add_get("/events/stream", stream)
    app.router.add_get("/healthz", healthz)
    for plugin, route in get_plugins(flask_app).stream_routes():
        app.router.add_get(route.path, plugin_stream_view(plugin, route, flask_app, hub, executor, slots))
    app.on_startup.append(start_hub)
    app.on_cleanup.append(stop_hub)
    return app
