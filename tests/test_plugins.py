"""The plugin system: loading from entry points, strict/safe modes, runtime
enable/disable seen by other processes, hooks and routes and tasks of
disabled plugins, settings, plugins with pending migrations, the
``plugins list`` command, and the kit's isolation of the plugin under test."""

import importlib
import logging
import sys
import textwrap

import marshmallow
import pluggy
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app import create_app
from app.cli import main
from app.plugins import PluginError, PluginLoadError

pytest_plugins = ["pytester"]

TEST_PLUGINS = {
    "hl_greeter": '''
        """Says hello."""
        import marshmallow as ma
        from flask import Blueprint
        from app.hookspecs import hookimpl

        bp = Blueprint("hl_greeter", __name__)
        calls = []

        @bp.get("/greeter/hello")
        def hello():
            return "hello"

        class Settings(ma.Schema):
            greeting = ma.fields.String(load_default="Hi", validate=ma.validate.Length(min=1, max=20))
            times = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=5))

        @hookimpl
        def helpline_register_blueprints():
            return [bp]

        @hookimpl
        def helpline_register_settings():
            return Settings

        @hookimpl
        def helpline_register_tasks():
            return ["hl_greeter_tasks"]

        @hookimpl
        def helpline_on_ticket_created(ticket):
            calls.append(ticket.id)
    ''',
    "hl_greeter_tasks": """
        from app.tasks import task
        runs = []

        @task()
        def wave(n):
            runs.append(n)
            return n
    """,
    "hl_broken": """
        raise ImportError("a dependency is missing")
    """,
    "hl_misspelt": """
        from app.hookspecs import hookimpl

        @hookimpl
        def helpline_on_tiket_created(ticket):
            pass
    """,
    "hl_faulty": """
        from app.hookspecs import hookimpl

        @hookimpl
        def helpline_register_channels():
            raise RuntimeError("no channel today")
    """,
    "hl_wrong_args": """
        from app.hookspecs import hookimpl

        @hookimpl
        def helpline_on_ticket_created(tikcet):
            pass
    """,
    "hl_stocked/__init__.py": '''
        """Keeps stock counts in its own table."""
        from flask import Blueprint
        from app.plugin import db, hookimpl

        bp = Blueprint("hl_stocked", __name__)
        calls = []

        @bp.get("/stocked/count")
        def count():
            return str(db.execute_sql("SELECT COUNT(*) FROM hl_stock").fetchone()[0])

        @hookimpl
        def helpline_register_blueprints():
            return [bp]

        @hookimpl
        def helpline_on_ticket_created(ticket):
            calls.append(ticket.id)
    ''',
    "hl_stocked/migrations/__init__.py": "",
    "hl_stocked/migrations/0001_initial.py": """
        def up(migrator, db):
            db.execute_sql("CREATE TABLE hl_stock (sku VARCHAR(40) PRIMARY KEY, count INTEGER NOT NULL)")

        def down(migrator, db):
            db.execute_sql("DROP TABLE hl_stock")
    """,
}


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install test plugins as a real distribution with entry points:
    ``installed("hl_greeter")`` declares ``greeter = hl_greeter``; an
    argument with ``=`` is an entry point line as it stands."""
    for name, source in TEST_PLUGINS.items():
        path = tmp_path / (name if name.endswith(".py") else f"{name}.py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    dist = tmp_path / "hl_test_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hl-test-plugins\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(*names):
        lines = [n if "=" in n else f"{n.removeprefix('hl_')} = {n}" for n in names]
        (dist / "entry_points.txt").write_text("[helpline.plugins]\n" + "\n".join(lines) + "\n")
        importlib.invalidate_caches()

    yield install
    for module in list(sys.modules):
        if module.split(".")[0] in {name.split("/")[0] for name in TEST_PLUGINS}:
            del sys.modules[module]


def second_app(app, **config):
    base = {
        k: app.config[k]
        for k in (
            "TESTING",
            "SECRET_KEY",
            "DATABASE_URL",
            "HUEY_IMMEDIATE",
            "CLOCK",
            "STRICT_PLUGINS",
            "PASSWORD_HASH_COST",
        )
    }
    return create_app({**base, **config})


def test_entry_point_plugin_is_loaded_with_version(app, installed):
    installed("hl_greeter")
    other = second_app(app)
    info = other.extensions["helpline.plugins"].infos["greeter"]
    assert info.loaded and info.version == "1.0" and info.description == "Says hello."
    assert not info.first_party


def test_toggle_is_seen_by_a_second_app_without_restart(app, installed):
    installed("hl_greeter")
    one = second_app(app)
    two = second_app(app)
    client_one, client_two = one.test_client(), two.test_client()
    assert client_one.get("/greeter/hello").data == b"hello"
    assert client_two.get("/greeter/hello").status_code == 200
    with one.app_context():
        one.extensions["helpline.plugins"].set_enabled("greeter", False)
    assert client_two.get("/greeter/hello").status_code == 404
    with two.app_context():
        assert not two.extensions["helpline.plugins"].is_enabled("greeter")
        two.extensions["helpline.plugins"].set_enabled("greeter", True)
    assert client_one.get("/greeter/hello").status_code == 200


def test_disabled_plugin_hooks_and_tasks_do_not_run(app, installed):
    installed("hl_greeter")
    other = second_app(app)
    greeter = sys.modules["hl_greeter"]
    tasks = sys.modules["hl_greeter_tasks"]
    from app.testing import FakeChannelPlugin

    with other.app_context():
        plugins = other.extensions["helpline.plugins"]
        fake = FakeChannelPlugin()
        plugins.register(fake, "fake")
        fake.receive("first", email="a@example.net")
        assert len(greeter.calls) == 1
        tasks.wave(7)
        assert tasks.runs == [7]
        plugins.set_enabled("greeter", False)
        fake.receive("second", email="b@example.net")
        tasks.wave(8)
        assert len(greeter.calls) == 1, "a disabled plugin's event hooks are not called"
        assert tasks.runs == [7], "a disabled plugin's tasks skip"
        assert other.extensions["helpline.task_names"][tasks.wave.spec] == "greeter.wave"


def test_broken_plugin_is_listed_as_failed_unless_strict(app, installed):
    installed("hl_greeter", "hl_broken")
    lenient = second_app(app, STRICT_PLUGINS=False)
    info = lenient.extensions["helpline.plugins"].infos["broken"]
    assert info.status == "failed" and "a dependency is missing" in info.error
    assert info.version == "1.0", "a failed plugin keeps its version"
    assert lenient.extensions["helpline.plugins"].infos["greeter"].loaded
    with pytest.raises(PluginLoadError, match="plugin 'broken' failed to load: ImportError: a dependency is missing"):
        second_app(app, STRICT_PLUGINS=True)


def test_misspelt_hook_fails_under_strict(app, installed):
    installed("hl_misspelt")
    with pytest.raises(PluginLoadError, match="plugin 'misspelt' failed to load: .*helpline_on_tiket_created"):
        second_app(app, STRICT_PLUGINS=True)
    lenient = second_app(app, STRICT_PLUGINS=False)
    info = lenient.extensions["helpline.plugins"].infos["misspelt"]
    assert info.status == "failed" and info.version == "1.0"


@pytest.mark.parametrize(
    "plugin, cause, message",
    [
        ("hl_broken", ImportError, "a dependency is missing"),
        ("hl_faulty", RuntimeError, "no channel today"),
        ("hl_misspelt", pluggy.PluginValidationError, "unknown hook 'helpline_on_tiket_created'"),
        ("hl_wrong_args", pluggy.PluginValidationError, "tikcet"),
    ],
)
def test_strict_mode_names_the_failing_plugin_in_every_error(app, installed, plugin, cause, message):
    installed("hl_greeter", plugin)
    name = plugin.removeprefix("hl_")
    with pytest.raises(PluginLoadError) as raised:
        second_app(app, STRICT_PLUGINS=True)
    assert str(raised.value).startswith(f"plugin {name!r} failed to load: {cause.__name__}: ")
    assert raised.value.plugin == name
    assert isinstance(raised.value.__cause__, cause) and message in str(raised.value.__cause__)


def test_disabled_plugins_and_safe_mode(app, installed):
    installed("hl_greeter", "hl_broken")
    blocked = second_app(app, DISABLED_PLUGINS="greeter,broken")
    infos = blocked.extensions["helpline.plugins"].infos
    assert infos["greeter"].status == "blocked" and infos["broken"].status == "blocked"
    safe = second_app(app, SAFE_MODE=True)
    infos = safe.extensions["helpline.plugins"].infos
    assert infos["greeter"].status == "skipped" and infos["email"].loaded


def test_first_party_is_decided_by_the_distribution(app, installed):
    # A third-party distribution pointing an entry point into the ``plugins``
    # package is still third-party: safe mode does not load it.
    installed("hl_greeter", "impostor = plugins.autoclose")
    safe = second_app(app, SAFE_MODE=True)
    infos = safe.extensions["helpline.plugins"].infos
    assert infos["impostor"].status == "skipped" and not infos["impostor"].first_party
    assert infos["autoclose"].loaded and infos["autoclose"].first_party
    assert all(infos[name].first_party for name in ("core", "email", "sms", "webchat", "macros", "roundrobin"))


def test_only_plugins_loads_the_named_plugins_and_the_core(app, installed):
    installed("hl_greeter", "hl_broken")
    only = second_app(app, STRICT_PLUGINS=True, ONLY_PLUGINS="greeter")
    infos = only.extensions["helpline.plugins"].infos
    assert infos["greeter"].loaded and infos["core"].loaded
    assert infos["broken"].status == "skipped" and infos["email"].status == "skipped"
    assert "HELPLINE_ONLY_PLUGINS" in infos["broken"].error


def test_settings_are_validated_and_defaulted(app, installed):
    installed("hl_greeter")
    other = second_app(app)
    with other.app_context():
        plugins = other.extensions["helpline.plugins"]
        assert plugins.get_settings("greeter") == {"greeting": "Hi", "times": 1}
        with pytest.raises(marshmallow.ValidationError) as err:
            plugins.set_settings("greeter", {"greeting": "", "times": 9})
        assert set(err.value.messages) == {"greeting", "times"}
        assert plugins.set_settings("greeter", {"times": 3}) == {"greeting": "Hi", "times": 3}
        assert plugins.get_settings("greeter")["times"] == 3


def test_core_settings_and_cannot_disable_core(app):
    plugins = app.extensions["helpline.plugins"]
    assert plugins.get_settings("core")["unread_badge"] is True
    with pytest.raises(marshmallow.ValidationError) as err:
        plugins.set_settings("core", {"support_email": "nope", "timezone": "Mars/Base"})
    assert set(err.value.messages) == {"support_email", "timezone"}
    with pytest.raises(PluginError):
        plugins.set_enabled("core", False)
    with pytest.raises(PluginError):
        plugins.set_enabled("no-such-plugin", True)


def test_enabling_with_pending_migrations_is_refused(app, tmp_path):
    from app.hookspecs import hookimpl

    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_initial.py").write_text(
        "from peewee import *\n\ndef up(migrator, db):\n"
        "    class Thing(Model):\n        name = CharField()\n"
        "        class Meta:\n            database = db\n            table_name = 'hl_thing'\n"
        "    db.create_tables([Thing])\n"
    )

    class NeedsTable:
        migrations_dir = str(migrations)

        @hookimpl
        def helpline_register_settings(self):
            return None

    plugins = app.extensions["helpline.plugins"]
    plugins.register(NeedsTable(), "needs-table")
    plugins.set_enabled("needs-table", False)
    with pytest.raises(PluginError, match="helpline migrate"):
        plugins.set_enabled("needs-table", True)
    assert ("needs-table", "0001_initial") in plugins.migrate()
    plugins.set_enabled("needs-table", True)
    assert plugins.is_enabled("needs-table")
    plugins.unregister("needs-table")


def test_relay_leaves_out_disabled_plugins(app, fake_channel, register_plugin):
    from app.hookspecs import hookimpl

    class Chooser:
        def __init__(self, agent):
            self.agent = agent

        @hookimpl
        def helpline_choose_assignee(self, ticket):
            return self.agent

    from app.testing import factories

    agent = factories.agent()
    register_plugin(Chooser(agent), "chooser")
    assert fake_channel.receive("one", email="a@example.net").ticket.__class__.get_by_id(1).assignee_id == agent.id
    app.extensions["helpline.plugins"].set_enabled("chooser", False)
    second = fake_channel.receive("two", email="b@example.net").ticket
    assert type(second).get_by_id(second.id).assignee_id is None


def test_settings_changed_elsewhere_are_seen_without_restart(app, installed):
    installed("hl_greeter")
    one, two = second_app(app), second_app(app)
    with two.app_context():
        assert two.extensions["helpline.plugins"].get_settings("greeter")["times"] == 1
    with one.app_context():
        one.extensions["helpline.plugins"].set_settings("greeter", {"times": 4})
    with two.app_context():
        settings = two.extensions["helpline.plugins"].get_settings("greeter")
        assert settings["times"] == 4
        settings["times"] = 5  # a caller's copy: changing it changes nothing stored
        assert two.extensions["helpline.plugins"].get_settings("greeter")["times"] == 4


def run_cli(app, *args):
    """``helpline ARGS`` against ``app`` (as if run in that app's process)."""
    with app.app_context():
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def listing_line(output, name):
    return [line for line in output.splitlines() if line.split() and line.split()[0] == name]


def test_a_plugin_with_pending_migrations_is_not_live_until_migrated(app, installed):
    from app.testing import FakeChannelPlugin

    installed("hl_stocked")
    web, operator = second_app(app), second_app(app)
    stocked = sys.modules["hl_stocked"]
    client = web.test_client()
    with web.app_context():
        plugins = web.extensions["helpline.plugins"]
        assert plugins.infos["stocked"].loaded and plugins.status("stocked") == "migrations pending"
        assert not plugins.is_enabled("stocked"), "enabled by default, but its table does not exist yet"
        fake = FakeChannelPlugin()
        plugins.register(fake, "fake")
        fake.receive("first", email="a@example.net")
    assert stocked.calls == [], "its hooks do not run"
    assert client.get("/stocked/count").status_code == 404
    [line] = listing_line(run_cli(web, "plugins", "list").output, "stocked")
    assert "migrations pending" in line

    migrated = run_cli(operator, "migrate")
    assert "applied stocked: 0001_initial" in migrated.output

    # The web process sees it without a restart.
    assert client.get("/stocked/count").data == b"0"
    with web.app_context():
        ticket = fake.receive("second", email="b@example.net").ticket
    assert stocked.calls == [ticket.id]
    [line] = listing_line(run_cli(web, "plugins", "list").output, "stocked")
    assert line.split()[1] == "enabled"


def test_plugins_list_shows_one_line_per_plugin(app, installed, caplog):
    installed("hl_greeter", "hl_broken", "hl_wrong_args", "hl_misspelt")
    with caplog.at_level(logging.ERROR):
        lenient = second_app(app, STRICT_PLUGINS=False)
    output = run_cli(lenient, "plugins", "list").output
    lines = output.splitlines()
    infos = lenient.extensions["helpline.plugins"].infos
    assert [line.split()[0] for line in lines] == sorted(infos), "exactly one line per plugin"
    [wrong] = listing_line(output, "wrong_args")
    assert wrong.split()[1:3] == ["failed", "1.0"], "a failed plugin keeps its version"
    assert "PluginValidationError" in wrong and wrong.endswith(" ...)"), "long errors are shortened"
    full = run_cli(lenient, "plugins", "list", "--verbose").output
    assert "hookimpl definition: helpline_on_ticket_created(tikcet)" in full, "--verbose shows the full error"
    # The loader logs each failure once, with a traceback only where code raised.
    assert "NoneType: None" not in caplog.text
    failures = {r.getMessage().split("'")[1]: r for r in caplog.records if "failed to load" in r.getMessage()}
    assert set(failures) == {"broken", "wrong_args", "misspelt"}
    assert failures["broken"].exc_info is not None and failures["misspelt"].exc_info is None


KIT_TEST = """
def test_app_loads(app):
    infos = app.extensions["helpline.plugins"].infos
    assert infos["greeter"].loaded
    assert infos["broken"].status == "skipped"
"""


@pytest.fixture
def kit_run(installed, pytester, monkeypatch):
    """Run a plugin package's own test suite (in this process) with the kit,
    next to an unrelated broken plugin; on SQLite, in its own folder."""
    installed("hl_greeter", "hl_broken")
    monkeypatch.delenv("HELPLINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("HELPLINE_ONLY_PLUGINS", raising=False)
    pytester.makepyfile(test_greeter=KIT_TEST)

    def run(ini=""):
        pytester.makeini(f"[pytest]\n{ini}\n")
        return pytester.runpytest_inprocess("-p", "no:cacheprovider")

    return run


def test_kit_fails_on_an_unrelated_broken_plugin_without_isolation(kit_run):
    result = kit_run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*plugin 'broken' failed to load: ImportError: a dependency is missing*"])


def test_kit_loads_only_the_plugins_named_in_the_ini_option(kit_run):
    kit_run("helpline_only_plugins = greeter").assert_outcomes(passed=1)


def test_kit_loads_only_the_plugins_named_in_the_environment(kit_run, monkeypatch):
    monkeypatch.setenv("HELPLINE_ONLY_PLUGINS", "greeter")
    kit_run().assert_outcomes(passed=1)
