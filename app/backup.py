"""Backups of the embedded SQLite database through SQLite's online backup
API: a consistent copy taken while Helpline keeps running (readers and
writers are not stopped), and a restore that writes the copy back through
SQLite, so the live file's WAL stays coherent. PostgreSQL deployments use
``pg_dump`` / ``pg_restore``: :data:`POSTGRES_GUIDANCE` says how."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

#: Pages copied per step: small steps let writers in between (the copy restarts if one writes).
PAGES_PER_STEP = 256

POSTGRES_GUIDANCE = """\
This deployment runs on PostgreSQL: back it up and restore it with PostgreSQL's own tools.

  Back up (while Helpline runs):
    pg_dump --format=custom --file=helpline-$(date +%Y%m%d-%H%M).dump "$HELPLINE_DATABASE_URL"

  Restore (stop the web workers and task consumers first):
    pg_restore --clean --if-exists --no-owner --dbname="$HELPLINE_DATABASE_URL" helpline-YYYYMMDD-HHMM.dump
    helpline migrate

See docs/operations.md, "Backups"."""


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _uri(path, read_only=False):
    # A URI (percent-encoded: a "?" or "#" in a file name stays a name) to open it read-only.
    return Path(path).resolve().as_uri() + ("?mode=ro" if read_only else "")


def _copy(source_path, target_path, progress=None, read_only=False):
    """Copy database ``source_path`` into ``target_path`` page by page."""

    def step(status, remaining, total):
        if progress is not None:
            progress(total - remaining, total)

    with closing(sqlite3.connect(_uri(source_path, read_only), uri=True)) as source:
        with closing(sqlite3.connect(target_path, timeout=30)) as target:
            source.backup(target, pages=PAGES_PER_STEP, progress=step)


def check_backup(path: str) -> None:
    """Refuse a file that is not an intact Helpline database."""
    if not os.path.isfile(path):
        raise BackupError(f"{path}: no such file.")
    try:
        conn = sqlite3.connect(_uri(path, read_only=True), uri=True)
        try:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
            has_state = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='plugin_state'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database ({exc}).") from None
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")
    if not has_state:
        raise BackupError(f"{path} is not a Helpline database (no plugin_state table).")


def backup(database_path: str, target: str, progress=None, overwrite=False) -> None:
    """Copy the live database at ``database_path`` to ``target`` (a new
    file unless ``overwrite``); ``progress(done_pages, total_pages)`` is
    called as it goes. The copy is checked before this returns."""
    if os.path.exists(target) and not overwrite:
        raise BackupError(f"{target} exists; choose another name or pass --force.")
    partial = target + ".partial"
    _copy(database_path, partial, progress)
    check_backup(partial)
    os.replace(partial, target)  # a crash mid-copy never leaves a half file under the real name


def restore(backup_path: str, database_path: str, progress=None) -> None:
    """Replace the database at ``database_path`` with the copy at
    ``backup_path`` (checked first). Stop the web workers and the task
    consumer before restoring: work they do meanwhile is lost."""
    check_backup(backup_path)
    _copy(backup_path, database_path, progress, read_only=True)
