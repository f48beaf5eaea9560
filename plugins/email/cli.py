"""``helpline email serve-smtp``: run the SMTP listener in the foreground."""

import threading

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("email")
def email_group():
    """The email channel."""


@email_group.command("serve-smtp")
@click.option("--host", default=None, help="Address to bind (default: the smtp_listen_host setting).")
@click.option("--port", default=None, type=int, help="Port (default: the smtp_listen_port setting).")
@with_appcontext
def serve_smtp(host, port):
    """Receive forwarded mail by SMTP until interrupted."""
    from app.plugin import freeze_startup_objects

    from .smtp_server import start_listener

    app = current_app._get_current_object()
    controller = start_listener(app, host=host, port=port)
    freeze_startup_objects()
    click.echo(f"Email SMTP listener on {controller.hostname}:{controller.port} (Ctrl+C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
