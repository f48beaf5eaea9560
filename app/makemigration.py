"""``helpline makemigration PLUGIN NAME``: write a plugin's next migration.

The file is ``<plugin package>/migrations/NNNN_<name>.py`` (the next free
number), with ``up(migrator, db)`` and ``down(migrator, db)``. When the
plugin's models (``helpline_register_models``) differ from the database,
the body is generated from the difference (new tables, columns and
indexes, with ``# TODO`` lines for what cannot be derived); otherwise, or
with ``--empty``, it is a skeleton to fill in. ``migrations/__init__.py``
is created when missing: without it the folder is not part of the
installed package, and the plugin would ship without its migrations.
The new file is formatted with ``ruff format`` (a dev dependency) when
ruff is installed, so it is committed as written: the generated body comes
from ``playhouse.migrations.template``, which writes its own style.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess

import click
from flask.cli import with_appcontext

SKELETON = '''"""{name}"""

from peewee import *


def up(migrator, db):
    # e.g. migrator.migrate(migrator.add_column("my_table", "note", TextField(default="")))
    pass


def down(migrator, db):
    # undo what up() did, e.g. migrator.migrate(migrator.drop_column("my_table", "note"))
    pass
'''


def _ruff():
    """The ruff executable of this environment, else one on the PATH, or None."""
    try:
        from ruff.__main__ import find_ruff_bin

        return find_ruff_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def format_file(path):
    """Format ``path`` with ruff (its settings found from the file's folder,
    as for the rest of the code there). Returns a note for the output when
    it could not: the file is kept either way."""
    ruff = _ruff()
    if ruff is None:
        return "not formatted: ruff is not installed"
    try:
        result = subprocess.run([ruff, "format", "--quiet", path], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"not formatted: {exc}"
    if result.returncode != 0:
        return "not formatted: " + (result.stderr or result.stdout).strip()
    return None


def migrations_folder(plugins, name):
    """Where plugin ``name`` keeps its migrations; raises ClickException for
    an unknown, failed or single-module plugin."""
    from .plugins import CORE

    info = plugins.infos.get(name)
    if info is None:
        known = ", ".join(sorted(plugins.infos)) or "none"
        raise click.ClickException(f"No plugin named {name!r} (installed: {known}).")
    if not info.loaded:
        raise click.ClickException(f"Plugin {name!r} is {info.status}: {info.error}")
    if name == CORE:
        return dict(plugins.migration_sources())[CORE]
    if info.migrations_dir:
        return info.migrations_dir
    module = importlib.import_module(info.module)
    path = getattr(module, "__file__", None) or ""
    if not path.endswith("__init__.py"):
        raise click.ClickException(
            f"Plugin {name!r} is the single module {info.module}; make it a package to give it migrations."
        )
    return os.path.join(os.path.dirname(path), "migrations")


def _models(plugins, name):
    from .models import CORE_MODELS
    from .plugins import CORE

    return list(CORE_MODELS) if name == CORE else list(plugins.infos[name].models)


def generated_body(plugins, name, title):
    """The migration body for the difference between the plugin's models and
    the database, or None when they match."""
    from playhouse.migrations import template
    from playhouse.schema_diff import diff_models

    from .db import connection, db

    with connection():
        pending = plugins.pending_migrations(name)
        if pending:
            raise click.ClickException(
                f"Plugin {name!r} has migrations not applied yet ({', '.join(m for _, m in pending)}): "
                "run `helpline migrate` first, or pass --empty."
            )
        diff = diff_models(db.obj, _models(plugins, name))
    if not diff:
        return None
    return f'"""{title}"""\n\n' + template(diff)


@click.command("makemigration")
@click.argument("plugin")
@click.argument("name")
@click.option("--empty", is_flag=True, help="Write a skeleton without comparing the models with the database.")
@with_appcontext
def makemigration(plugin, name, empty):
    """Write PLUGIN's next numbered migration, migrations/NNNN_NAME.py."""
    from playhouse.migrations import Runner

    from .db import db
    from .plugins import get_plugins

    plugins = get_plugins()
    folder = migrations_folder(plugins, plugin)
    # The name also becomes the file's docstring: keep it to plain words.
    title = " ".join(re.sub(r"[^\w\s.,:;()'-]", " ", name).split()) or "migration"
    body = None if empty else generated_body(plugins, plugin, title)
    os.makedirs(folder, exist_ok=True)
    init = os.path.join(folder, "__init__.py")
    if not os.path.exists(init):
        with open(init, "w") as fh:
            fh.write("")
        click.echo(f"created {init}")
    path = Runner(db.obj, directory=folder).create(title, body or SKELETON.format(name=title))
    click.echo(f"created {path}" + ("" if body else " (a skeleton: no model changes to write)"))
    problem = format_file(path)
    if problem:
        click.echo(f"warning: {path} {problem}", err=True)
