"""``helpline makemigration PLUGIN NAME`` writes a plugin's next migration."""

import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main

# ruff is a dev dependency: the one in this environment, else on the PATH.
RUFF = os.path.join(os.path.dirname(sys.executable), "ruff")
RUFF = RUFF if os.path.exists(RUFF) else shutil.which("ruff")

PLUGIN = """
import peewee

from app.plugin import BaseModel, hookimpl


class Note(BaseModel):
    text = peewee.TextField(default="")
{extra}
    class Meta:
        table_name = "{package}_note"


@hookimpl
def helpline_register_models():
    return [Note]
"""


@pytest.fixture
def cli(app):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


@pytest.fixture
def notes_plugin(app, tmp_path, register_plugin):
    """A plugin package on disk (``<tmp>/<name>/__init__.py``, a fresh name
    per test) with one model; ``notes_plugin.load(extra_fields)`` (re)writes,
    reloads and registers it, as a restart would. Its tables go at the end
    (PostgreSQL keeps one database for the whole run)."""
    package = f"notes_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / package
    folder.mkdir()
    sys.path.insert(0, str(tmp_path))
    plugins = app.extensions["helpline.plugins"]

    class Loader:
        name = package
        dir = folder

        def load(self, extra=""):
            (folder / "__init__.py").write_text(PLUGIN.format(extra=textwrap.indent(extra, "    "), package=package))
            if package in plugins.infos:
                plugins.unregister(package)
            module = (
                importlib.reload(sys.modules[package]) if package in sys.modules else importlib.import_module(package)
            )
            register_plugin(module, package)
            return module

        def table(self):
            return f"{package}_note"

    yield Loader()
    sys.path.remove(str(tmp_path))
    sys.modules.pop(package, None)
    db = app.extensions["helpline.db"]
    for table in (f"{package}_note", f"migrations_{package}"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')


def test_new_model_then_new_column_then_nothing(app, cli, notes_plugin):
    notes_plugin.load()
    first = cli("makemigration", notes_plugin.name, "add notes")
    assert first.exit_code == 0, first.output
    migrations = notes_plugin.dir / "migrations"
    assert (migrations / "__init__.py").exists()  # else the folder is not in the installed package
    created = (migrations / "0001_add_notes.py").read_text()
    assert "def up(migrator, db):" in created and "def down(migrator, db):" in created
    assert notes_plugin.table() in created

    notes_plugin.load()  # a restart finds the new folder
    assert cli("migrate").exit_code == 0
    db = app.extensions["helpline.db"]
    assert notes_plugin.table() in db.get_tables()

    notes_plugin.load("pinned = peewee.BooleanField(default=False)\n")
    second = cli("makemigration", notes_plugin.name, "pin notes")
    assert second.exit_code == 0, second.output
    body = (migrations / "0002_pin_notes.py").read_text()
    assert "add_column" in body and '"pinned"' in body and "drop_column" in body
    notes_plugin.load("pinned = peewee.BooleanField(default=False)\n")
    assert cli("migrate").exit_code == 0
    assert "pinned" in [c.name for c in db.get_columns(notes_plugin.table())]

    third = cli("makemigration", notes_plugin.name, "later")
    assert third.exit_code == 0 and "skeleton" in third.output
    assert (migrations / "0003_later.py").exists()


def test_pending_migrations_come_first_unless_empty(cli, notes_plugin):
    notes_plugin.load()
    cli("makemigration", notes_plugin.name, "add notes")
    notes_plugin.load()
    refused = cli("makemigration", notes_plugin.name, "more")
    assert refused.exit_code != 0 and "helpline migrate" in refused.output
    empty = cli("makemigration", notes_plugin.name, "more", "--empty")
    assert empty.exit_code == 0, empty.output
    skeleton = (notes_plugin.dir / "migrations" / "0002_more.py").read_text()
    namespace = {}
    exec(compile(skeleton, "0002_more.py", "exec"), namespace)
    assert callable(namespace["up"]) and callable(namespace["down"])


def test_unknown_plugin_is_refused(cli):
    result = cli("makemigration", "no-such-plugin", "x")
    assert result.exit_code != 0
    assert "No plugin named 'no-such-plugin'" in result.output


def test_generated_migrations_pass_ruff_format(cli, notes_plugin):
    """A new migration is committed as written: it must already pass the
    project's ``ruff format --check`` (line length 120), the generated body
    and the skeleton alike."""
    notes_plugin.load("pinned = peewee.BooleanField(default=False, index=True)\n")
    assert cli("makemigration", notes_plugin.name, "add notes").exit_code == 0
    assert cli("makemigration", notes_plugin.name, "fill in later", "--empty").exit_code == 0
    migrations = notes_plugin.dir / "migrations"
    written = sorted(str(p) for p in migrations.glob("000*.py"))
    assert [os.path.basename(p) for p in written] == ["0001_add_notes.py", "0002_fill_in_later.py"]
    check = subprocess.run([RUFF, "format", "--check", "--diff", *written], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for path in written:  # still runnable migrations
        namespace = {}
        exec(compile(open(path).read(), path, "exec"), namespace)
        assert callable(namespace["up"]) and callable(namespace["down"])
