"""``helpline shopify ...``: check the connection, import the order history
with a progress bar, show the import's state."""

import contextlib

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from app.plugin import db, get_plugins, plugin_settings

from . import backfill, tasks
from .client import ShopifyError, check_connection


@contextlib.contextmanager
def _session():
    """A database connection for the command (unless one is open), and a
    clear message when the plugin is off."""
    opened = db.connect(reuse_if_open=True)
    try:
        if not get_plugins().is_enabled("shopify"):
            raise click.ClickException("The shopify plugin is disabled: run `helpline plugins enable shopify`.")
        yield
    finally:
        if opened and not db.is_closed():
            db.close()


@click.group("shopify")
def shopify_group():
    """Shopify: check the connection, import the order history."""


@shopify_group.command("check")
@with_appcontext
def check_cmd():
    """Ask the shop who it is with the configured domain and token."""
    with _session():
        try:
            shop = check_connection(plugin_settings("shopify"))
        except ShopifyError as exc:
            raise click.ClickException(exc.message)
    click.echo(f"Connected to {shop.get('name')} ({shop.get('myshopifyDomain')}, {shop.get('currencyCode')}).")


@shopify_group.command("backfill")
@click.option("--restart", is_flag=True, help="Start from the oldest order instead of the last checkpoint.")
@click.option("--queue", "in_background", is_flag=True, help="Hand the import to a task worker and return.")
@with_appcontext
def backfill_cmd(restart, in_background):
    """Import the order history from Shopify, resuming where it stopped."""
    with _session():
        if in_background:
            try:
                tasks.queue_backfill(restart=restart)
            except backfill.BackfillBusy:
                raise click.ClickException("An import is already running.")
            click.echo("The import is queued; `helpline shopify status` shows its progress.")
            return
        bar = tqdm(unit="order", desc="Shopify orders", dynamic_ncols=True)

        def on_page(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            state = backfill.run(restart=restart, on_page=on_page)
        except backfill.BackfillBusy:
            raise click.ClickException("An import is already running.")
        except ShopifyError as exc:
            raise click.ClickException(f"{exc.message}\nRun the command again to resume from the last stored page.")
        except KeyboardInterrupt:
            raise click.ClickException("Stopped. Run the command again to resume from the last stored page.")
        finally:
            bar.close()
    click.echo(backfill.describe(state))


@shopify_group.command("status")
@with_appcontext
def status_cmd():
    """Show the order import's progress."""
    with _session():
        click.echo(backfill.describe(backfill.progress()))
