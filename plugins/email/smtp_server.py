"""The built-in SMTP listener (aiosmtpd): the merchant forwards their
support address here. Only configured support addresses and verified
reply addresses are accepted; other recipients get a 550 at RCPT time, so
the listener is no open relay and spam for unknown names never lands."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller

from app.plugin import connection, get_plugins, start_unit_of_work

from .addresses import accepts

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 50


class InboundHandler:
    """aiosmtpd handler; database work runs in a worker thread so one slow
    message never stalls the event loop for other connections."""

    def __init__(self, app):
        self.app = app

    def _settings(self):
        return get_plugins(self.app).get_settings("email")

    def _in_app(self, func, *args):
        # One SMTP step is one unit of work: plugin state is read once for it.
        with self.app.app_context(), connection():
            start_unit_of_work()
            return func(*args)

    def _enabled(self):
        return get_plugins(self.app).is_enabled("email")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Accept support and valid reply addresses only (550 otherwise)."""
        loop = asyncio.get_running_loop()
        try:
            enabled, ok = await loop.run_in_executor(
                None, self._in_app, lambda: (self._enabled(), accepts(self._settings(), address))
            )
        except Exception:
            log.exception("checking recipient %s failed", address)
            return "451 4.3.0 Temporary failure, please try again later"
        if not enabled:
            # Temporary on purpose: turning the plugin off for a while must not
            # bounce customers' mail; their servers keep it and retry.
            return "451 4.3.2 The email channel is turned off; try again later"
        if not ok:
            return f"550 5.1.1 <{address[:254]}>: no such mailbox here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Store the message before answering 250; 451 on our failures."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, self._in_app, self._receive, raw, envelope)
        except Exception:
            # Nothing was stored: a temporary error makes the sending server retry.
            log.exception("storing inbound mail from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        return outcome

    def _receive(self, raw, envelope):
        from .inbound import receive

        settings = self._settings()
        if len(raw) > settings["max_message_bytes"]:
            return "552 5.3.4 Message too big"
        result = receive(
            raw,
            settings,
            envelope_sender=envelope.mail_from or "",
            envelope_recipients=list(envelope.rcpt_tos),
            via="smtp",
        )
        return f"250 2.0.0 OK {result.outcome}"


class ListenerController(Controller):
    """A Controller that also works on port 0 (tests, ``--port 0``): after
    binding it learns the real port, which ``self.port`` then reports."""

    def _trigger_server(self):
        if self.server is not None and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


def start_listener(app, host=None, port=None):
    """Start the listener in a background thread; returns the controller
    (``.port`` is the bound port, ``.stop()`` stops it)."""
    with app.app_context(), connection():
        settings = get_plugins(app).get_settings("email")
    aiosmtpd_log = logging.getLogger("mail.log")
    if aiosmtpd_log.level == logging.NOTSET:
        # aiosmtpd logs every connection at INFO; an operator can still opt in.
        aiosmtpd_log.setLevel(logging.WARNING)
    host = host or settings["smtp_listen_host"]
    port = settings["smtp_listen_port"] if port is None else port
    controller = ListenerController(
        InboundHandler(app),
        hostname=host,
        port=port,
        data_size_limit=settings["max_message_bytes"],
        ident="Helpline",
        server_hostname="helpline",
    )
    controller.start()
    log.info("email SMTP listener on %s:%s", host, controller.port)
    return controller


def service(app):
    """``helpline run`` service: start the listener, return its stop()."""
    try:
        controller = start_listener(app)
    except Exception:  # a taken port must not stop the rest of the quickstart
        log.exception("the email SMTP listener could not start")
        return None
    return controller.stop
