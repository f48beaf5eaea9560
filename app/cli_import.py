"""``helpline import orders FILE.csv`` and ``helpline import events
FILE.jsonl``: feed order and event history from any platform through the
same upsert service as the API, in batches, with a progress bar and a report
of every rejected row (docs/commerce.md describes the file formats)."""

from __future__ import annotations

import io
import os

import click
from flask.cli import with_appcontext
from tqdm import tqdm

OUTCOME_WORDS = {
    "created": "created",
    "updated": "updated",
    "stale": "older than stored (ignored)",
    "duplicate": "already stored",
}


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary file, for the progress bar."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


def _run(path, source, kind):
    from .db import connection, db
    from .services import ServiceError, commerce_import
    from .services.commerce import check_source

    try:
        check_source(source)
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--source")
    importer = commerce_import.import_orders_file if kind == "orders" else commerce_import.import_events_file
    report = commerce_import.ImportReport()
    with connection():
        if not db.table_exists("order"):
            raise click.ClickException("The database has no tables yet: run `helpline migrate` first.")
        with open(path, "rb") as raw:
            counter = _CountingReader(raw)
            # tqdm draws only on a terminal (disable=None), so logs and tests stay clean.
            with tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc=kind, disable=None) as bar:
                try:
                    importer(
                        source, io.BufferedReader(counter), report, progress=lambda n: bar.update(counter.count - bar.n)
                    )
                except ServiceError as exc:
                    raise click.ClickException(f"{os.path.basename(path)}: {exc.message}")
                bar.update(counter.count - bar.n)
    counts = ", ".join(f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in sorted(report.outcomes.items())) or "nothing stored"
    click.echo(f"{os.path.basename(path)}: {kind} {counts}.")
    if report.rejected:
        click.echo(f"{len(report.rejected)} rejected:", err=True)
        for rejected in sorted(report.rejected, key=lambda r: r.line):
            click.echo(f"  line {rejected.line}: {rejected.reason}", err=True)
        raise SystemExit(1)


@click.group("import")
def import_group():
    """Import order and event history from files (any platform)."""


@import_group.command("orders")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default="import", show_default=True, help="Where the orders come from (e.g. woocommerce).")
@with_appcontext
def import_orders(path, source):
    """Import orders from a CSV file, one row per order line."""
    _run(path, source, "orders")


@import_group.command("events")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default="import", show_default=True, help="Where the events come from.")
@with_appcontext
def import_events(path, source):
    """Import customer events from a JSON Lines file, one event per line."""
    _run(path, source, "events")
