"""``helpline reports ...`` commands."""

import click
from flask.cli import with_appcontext


@click.group("reports")
def reports_group():
    """Reports: rebuild the facts from the tickets' history."""


@reports_group.command("rebuild")
@click.option("--batch", default=500, show_default=True, help="Tickets per transaction.")
@with_appcontext
def rebuild_cmd(batch):
    """Recompute every report fact from the tickets' history, then the daily
    rollups. Safe to run at any time and again (the result is the same)."""
    from tqdm import tqdm

    from app.plugin import db

    from .rebuild import rebuild

    with db.connection_context():
        count = rebuild(progress=lambda **kw: tqdm(**kw), batch=max(1, min(batch, 5000)))
    click.echo(f"Rebuilt the reports from {count} tickets.")
