"""Email in tests: a real SMTP server (aiosmtpd on 127.0.0.1, an ephemeral
port) that records what it receives, and a stand-in for the email plugin
that implements the ``helpline_email_available`` / ``helpline_send_email``
hooks by sending to it with smtplib.

Fixtures (from the ``helpline`` pytest plugin): ``smtp_sink`` (the server:
``.messages`` is a list of ``(recipients, EmailMessage)``, ``.port``) and
``email_sender`` (registers the stand-in for one test; returns the sink).
"""

import email
import email.policy
import smtplib

from aiosmtpd.controller import Controller

from ..hookspecs import hookimpl


class SmtpSink:
    """aiosmtpd on 127.0.0.1:0, keeping every message it accepts."""

    def __init__(self):
        self.messages = []
        self._controller = _EphemeralController(self, hostname="127.0.0.1", port=0)
        self._controller.start()
        self.port = self._controller.port

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def close(self):
        self._controller.stop()


class _EphemeralController(Controller):
    # aiosmtpd probes the configured port on start; with port 0 it must read
    # the port the OS chose first.
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class EmailSender:
    """Stands in for the email plugin: the hooks are the contract."""

    def __init__(self, port, sender="helpline@shop.example"):
        self.port = port
        self.sender = sender

    @hookimpl
    def helpline_email_available(self):
        return True

    @hookimpl
    def helpline_send_email(self, message):
        if "From" not in message:
            message["From"] = self.sender
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as smtp:
            smtp.send_message(message)
        return True
