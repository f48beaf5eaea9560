"""The helpline command."""

import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import Agent, Ticket


@pytest.fixture
def cli(app):
    def invoke(*args, input=None):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)

    return invoke


def test_migrate_status_lists_applied_migrations(cli):
    result = cli("migrate", "--status")
    assert result.exit_code == 0, result.output
    assert "[x] core: 0001_initial" in result.output
    assert cli("migrate").output.strip() == "Nothing to migrate."


def test_plugins_list_enable_disable(cli, app):
    listing = cli("plugins", "list").output
    assert "email" in listing and "enabled" in listing
    assert cli("plugins", "disable", "email").output.strip() == "email disabled"
    assert not app.extensions["helpline.plugins"].is_enabled("email")
    assert "email          disabled" in cli("plugins", "list").output
    cli("plugins", "enable", "email")
    assert app.extensions["helpline.plugins"].is_enabled("email")
    refused = cli("plugins", "disable", "core")
    assert refused.exit_code != 0 and "cannot be disabled" in refused.output


def test_plugin_settings_show_set_and_validate(cli):
    shown = json.loads(cli("plugins", "settings", "core").output)
    assert shown["unread_badge"] is True
    changed = cli("plugins", "settings", "core", "--set", "unread_badge=false", "--set", "organization_name=Acme")
    assert json.loads(changed.output)["unread_badge"] is False
    assert json.loads(changed.output)["organization_name"] == "Acme"
    bad = cli("plugins", "settings", "core", "--set", "support_email=not-an-email")
    assert bad.exit_code == 1 and "support_email" in bad.output
    # A nested setting's error names the line and says what is wrong.
    origins = cli("plugins", "settings", "webchat", "--set", 'allowed_origins=["https://shop.example.com", "shop"]')
    assert origins.exit_code == 1
    assert origins.output == (
        "allowed_origins: line 2: An origin is scheme://host[:port], e.g. https://shop.example.com (no path).\n"
    )
    hours = cli("plugins", "settings", "webchat", "--set", 'schedule={"mon": [{"open": "9", "close": "17:00"}]}')
    assert hours.exit_code == 1 and hours.output == "schedule: Monday, range 1, opens: Use HH:MM.\n"


def test_create_agent_and_demo(cli, app, register_plugin):
    from app.testing import FakeChannelPlugin

    result = cli(
        "create-agent",
        "--email",
        "Boss@Example.com",
        "--role",
        "owner",
        "--name",
        "Boss",
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert Agent.get(Agent.email == "boss@example.com").role == "owner"
    assert "already has agents" in cli("demo").output
    Agent.delete().execute()
    if "email" not in app.extensions["helpline.plugins"].channels:
        register_plugin(FakeChannelPlugin("email"), "demo-email")
    output = cli("demo", "--tickets", "6").output
    assert "6 tickets" in output and Ticket.select().count() == 6
    assert Agent.select().where(Agent.role == "owner").count() == 1


def test_commands_on_an_empty_database_say_to_migrate(tmp_path):
    from app import create_app

    empty = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3", "SECRET_KEY": "x"})
    result = CliRunner().invoke(main, ["plugins", "list"], obj=ScriptInfo(create_app=lambda: empty))
    assert result.exit_code == 1 and "helpline migrate" in result.output
    status = CliRunner().invoke(main, ["migrate", "--status"], obj=ScriptInfo(create_app=lambda: empty))
    assert status.exit_code == 1 and "[ ] core: 0001_initial" in status.output


def test_secret_settings_are_never_printed(cli):
    result = cli("plugins", "settings", "email", "--set", "smtp_password=hunter2-hunter2")
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and '"smtp_password": "********"' in result.output
