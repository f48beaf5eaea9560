"""The catalogs: complete in Spanish, current with the source, compiled;
and the ``helpline i18n`` commands on a third-party plugin's own domain,
looked up through the app like any first-party catalog."""

import textwrap

import pytest
from click.testing import CliRunner

from app import catalogs
from app.cli import main
from app.models import Ticket


@pytest.mark.parametrize("target", catalogs.first_party_targets(), ids=lambda t: t.domain)
def test_catalogs_are_complete_current_and_compiled(target):
    # The CI check: `helpline i18n catchup` (docs/operations.md) fixes what this lists.
    assert catalogs.problems(target) == []


def test_every_first_party_plugin_ships_its_own_domain(app):
    plugins = app.extensions["helpline.plugins"]
    domains = set(app.extensions["babel"].default_domain.split(";"))
    for name, info in plugins.infos.items():
        if info.first_party and info.loaded and name != "core":
            assert info.translations_dir and name in domains, name
    assert "messages" in domains


def _third_party_plugin(tmp_path):
    package = tmp_path / "acme_greeter"
    (package / "templates" / "acme_greeter").mkdir(parents=True)
    (package / "__init__.py").write_text(
        textwrap.dedent(
            '''
            """A third-party plugin with its own catalog."""
            from flask import Blueprint, render_template
            from flask_babel import gettext as _

            from app.plugin import hookimpl

            bp = Blueprint("acme_greeter", __name__, template_folder="templates")


            @bp.get("/acme-greeter")
            def greet():
                return {"text": _("Good morning, shopkeeper"), "core": _("Unassigned")}


            @hookimpl
            def helpline_register_blueprints():
                return [bp]
            '''
        )
    )
    return package


def test_a_plugin_extracts_updates_and_compiles_its_own_domain(tmp_path, app, register_plugin, client):
    package = _third_party_plugin(tmp_path)
    runner = CliRunner()
    args = ["--path", str(package), "--domain", "acme_greeter"]
    done = runner.invoke(main, ["i18n", "update", *args])
    assert done.exit_code == 0, done.output
    assert "[es]: 2 messages, 2 untranslated, 0 fuzzy" in done.output
    target = catalogs.Target(str(package), "acme_greeter")
    spanish = catalogs.read_catalog(target.po_path("es"), "es")
    spanish["Good morning, shopkeeper"].string = "Buenos días, tendero"  # "Unassigned" is left to the core
    catalogs._write_po(target.po_path("es"), spanish)
    compiled = runner.invoke(main, ["i18n", "compile", *args])
    assert compiled.exit_code == 0 and "compiled 2 catalogs" in compiled.output
    check = runner.invoke(main, ["i18n", "check", *args])
    assert check.exit_code == 1 and "untranslated: 'Unassigned'" in check.output

    import importlib
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("acme_greeter")
        register_plugin(module, "acme_greeter")
        answer = client.get("/acme-greeter", headers={"Accept-Language": "es"}).get_json()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("acme_greeter", None)
    # The plugin's own string from its domain; a string it left untranslated
    # falls back to the core's catalog.
    assert answer == {"text": "Buenos días, tendero", "core": "Sin asignar"}
    assert Ticket.select().count() == 0


def test_catchup_is_one_command_and_says_what_is_left(monkeypatch, tmp_path):
    package = _third_party_plugin(tmp_path)
    monkeypatch.setattr(catalogs, "first_party_targets", lambda: [catalogs.Target(str(package), "acme_greeter")])
    done = CliRunner().invoke(main, ["i18n", "catchup"])
    assert done.exit_code == 1
    assert "untranslated: 'Good morning, shopkeeper'" in done.output
    assert "2 entries to translate" in done.output
