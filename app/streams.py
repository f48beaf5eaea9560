"""``helpline streams``: the agents' live event stream (``/events/stream``)
served by one asyncio process (aiohttp), so open tabs cost a coroutine and a
socket each instead of a web server thread.

It reads the Redis event bus of the deployment (``EVENTS_URL`` and its
prefixed channel) with one subscription per process and fans events out to
the open streams. Authentication is the web app's own: each new stream's
``Cookie`` and ``Authorization`` headers are checked by
:func:`app.auth.current_agent` in a worker thread (one database query per
connection, none per event), so sessions, tokens, deactivation and roles
behave exactly as on the Flask route. The reverse proxy routes
``/events/stream`` here; ``helpline run`` and the gunicorn hosts keep
serving the same route themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import marshmallow as ma
from aiohttp import web
from flask_babel import gettext as _

from .auth import current_agent
from .db import connection
from .permissions import can
from .plugins import field_messages
from .web.stream import StreamArgs, sse

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
HUB = web.AppKey("hub", object)
HUB_TASK = web.AppKey("hub_task", asyncio.Task)


class Hub:
    """One Redis subscription per process, fanned out to asyncio queues."""

    def __init__(self, url, channel):
        self.url = url
        self.channel = channel
        self.queues: set[asyncio.Queue] = set()
        self.ready = asyncio.Event()

    def subscribe(self):
        queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue):
        self.queues.discard(queue)

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
                            self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: resubscribe, streams stay open
                log.exception("event bus subscription lost; reconnecting")
                await asyncio.sleep(1)
            finally:
                await client.aclose()

    def _deliver(self, raw):
        try:
            event = json.loads(raw)
        except ValueError:
            return
        for queue in list(self.queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled client loses events, never blocks others
                pass


def _error(status, code, message, fields=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return web.json_response({"error": body}, status=status)


def _check_agent(flask_app, headers):
    """None when the request's session or token belongs to an agent who may
    use the inbox, else ``(status, code, message)``."""
    with flask_app.test_request_context("/events/stream", headers=headers), connection():
        agent = current_agent()
        if agent is None:
            return 401, "unauthorized", _("Log in first: a session cookie or an Authorization: Bearer token.")
        if not can(agent, "inbox"):
            return 403, "forbidden", _("Your role does not allow this.")
    return None


def make_app(flask_app):
    """The aiohttp application serving ``/events/stream`` for ``flask_app``'s
    deployment (its Redis bus, sessions and database)."""
    url = flask_app.config.get("EVENTS_URL")
    if not (url and str(url).startswith("redis")):
        raise RuntimeError("helpline streams needs the Redis event bus: set HELPLINE_EVENTS_URL=redis://...")
    hub = Hub(url, flask_app.config["EVENTS_CHANNEL"])

    async def stream(request):
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("cookie", "authorization", "accept")}
        problem = await asyncio.get_running_loop().run_in_executor(None, _check_agent, flask_app, headers)
        if problem is not None:
            return _error(*problem)
        with flask_app.test_request_context():
            try:
                args = StreamArgs().load(dict(request.query))
            except ma.ValidationError as err:
                return _error(422, "invalid", _("Some fields are not valid."), field_messages(err.messages))
        wanted, once, timeout = set(args["types"]), args["once"], args["timeout"]
        queue = hub.subscribe()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        try:
            await response.prepare(request)
            await response.write(b"retry: 3000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    if once:
                        break
                    await response.write(b": keepalive\n\n")
                    continue
                if wanted and event.get("type") not in wanted:
                    continue
                await response.write(sse(event).encode())
                if once:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the tab closed
        finally:
            hub.unsubscribe(queue)
        return response

    async def healthz(request):
        return web.json_response({"status": "ok", "streams": len(hub.queues)})

    async def start_hub(app):
        app[HUB_TASK] = asyncio.create_task(hub.run())
        await asyncio.wait_for(hub.ready.wait(), 10)

    async def stop_hub(app):
        app[HUB_TASK].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app[HUB_TASK]

    app = web.Application()
    app[HUB] = hub
    app.router.add_get("/events/stream", stream)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(start_hub)
    app.on_cleanup.append(stop_hub)
    return app
