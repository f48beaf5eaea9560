"""``helpline webchat ...`` commands."""

import click
from flask.cli import with_appcontext

from app.plugin import connection


@click.group(help="Web chat widget.")
def webchat():
    pass


@webchat.command("snippet", help="Print the widget snippet to paste into the storefront.")
@click.option("--base-url", required=True, help="Public URL of this Helpline, e.g. https://help.example.com")
@with_appcontext
def snippet(base_url):
    from .conversations import ensure_site_key

    with connection():
        key = ensure_site_key()
    click.echo(f'<script src="{base_url.rstrip("/")}/webchat/widget.js" data-key="{key}" async></script>')
