"""The plugin system: loading from entry points, strict/safe modes, runtime
enable/disable seen by other processes, hooks and routes and tasks of
disabled plugins, settings."""

import importlib
import sys
import textwrap

import marshmallow
import pytest

from app import create_app
from app.plugins import PluginError

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
}


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install test plugins as a real distribution with entry points."""
    for module, source in TEST_PLUGINS.items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    dist = tmp_path / "hl_test_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hl-test-plugins\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(*names):
        lines = [f"{n.removeprefix('hl_')} = {n}" for n in names]
        (dist / "entry_points.txt").write_text("[helpline.plugins]\n" + "\n".join(lines) + "\n")
        importlib.invalidate_caches()

    yield install
    for module in TEST_PLUGINS:
        sys.modules.pop(module, None)


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
    assert lenient.extensions["helpline.plugins"].infos["greeter"].loaded
    with pytest.raises(ImportError):
        second_app(app, STRICT_PLUGINS=True)


def test_misspelt_hook_fails_under_strict(app, installed):
    import pluggy

    installed("hl_misspelt")
    with pytest.raises(pluggy.PluginValidationError, match="helpline_on_tiket_created"):
        second_app(app, STRICT_PLUGINS=True)
    lenient = second_app(app, STRICT_PLUGINS=False)
    assert lenient.extensions["helpline.plugins"].infos["misspelt"].status == "failed"


def test_disabled_plugins_and_safe_mode(app, installed):
    installed("hl_greeter", "hl_broken")
    blocked = second_app(app, DISABLED_PLUGINS="greeter,broken")
    infos = blocked.extensions["helpline.plugins"].infos
    assert infos["greeter"].status == "blocked" and infos["broken"].status == "blocked"
    safe = second_app(app, SAFE_MODE=True)
    infos = safe.extensions["helpline.plugins"].infos
    assert infos["greeter"].status == "skipped" and infos["email"].loaded


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
