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


@webchat.command("identity-secret", help="Show whether the signed-customer secret is set, or make a new one.")
@click.option("--rotate", is_flag=True, help="Generate a new secret (the old one stops working) and print it.")
@with_appcontext
def identity_secret(rotate):
    from .conversations import settings
    from .identity import rotate_secret

    with connection():
        if rotate:
            click.echo(rotate_secret())
        elif settings()["identity_secret"]:
            click.echo("A secret is set. Use --rotate to replace it (the old one stops working).")
        else:
            click.echo("No secret yet. Use --rotate to generate one.")
