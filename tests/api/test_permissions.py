"""Permissions are declared: the core's own, and each plugin's through
``helpline_register_permissions``; ``require`` and ``can`` use the same
table, and a name nobody declared fails loudly."""

import flask_smorest
import pytest

from app.hookspecs import hookimpl
from app.permissions import CORE_PERMISSIONS, Permission, can, permissions
from app.plugin import require

exports_bp = flask_smorest.Blueprint("exports_api", __name__, url_prefix="/exports")


@exports_bp.get("/")
@require("exports")
@exports_bp.response(204)
def list_exports():
    """Nothing to export yet."""


class ExportsPlugin:
    @hookimpl
    def helpline_register_permissions(self):
        return [Permission("exports", "Export customer data", roles=("owner",))]

    @hookimpl
    def helpline_register_blueprints(self):
        return [exports_bp]


def test_the_macros_plugin_declares_shared_macros_itself(app):
    assert "shared_macros" not in {p.name for p in CORE_PERMISSIONS}
    assert permissions()["shared_macros"].roles == {"owner", "admin", "manager"}


def test_a_plugin_permission_guards_its_views_and_shows_in_me(app, client, register_plugin, make_agent, bearer):
    register_plugin(ExportsPlugin(), "exports")
    owner, admin = make_agent(role="owner", password=None), make_agent(role="admin", password=None)
    assert can(owner, "exports") and not can(admin, "exports")
    assert client.get("/api/v1/exports/", headers=bearer(owner)).status_code == 204
    assert client.get("/api/v1/exports/", headers=bearer(admin)).get_json()["error"]["code"] == "forbidden"
    assert "exports" in client.get("/api/v1/me", headers=bearer(owner)).get_json()["permissions"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/exports/"]["get"]["x-permission"] == "exports"


class Squatter:
    @hookimpl
    def helpline_register_permissions(self):
        return [Permission("settings", "Everything", roles=("support",))]


class UnknownRole:
    @hookimpl
    def helpline_register_permissions(self):
        return [Permission("audit", "Audit", roles=("auditor",))]


@pytest.mark.parametrize(
    "plugin,problem", [(Squatter(), "already declared by 'core'"), (UnknownRole(), "unknown roles")]
)
def test_a_bad_declaration_names_its_plugin(app, register_plugin, plugin, problem):
    register_plugin(plugin, "bad-permissions")
    with pytest.raises(ValueError, match=f"plugin 'bad-permissions'.*{problem}"):
        permissions()


def test_requiring_an_undeclared_permission_fails_at_startup(app, register_plugin):
    typo_bp = flask_smorest.Blueprint("typo_api", __name__, url_prefix="/typo")

    @typo_bp.get("/")
    @require("setings")
    @typo_bp.response(204)
    def typo():
        """A misspelt permission."""

    class Typo:
        @hookimpl
        def helpline_register_blueprints(self):
            return [typo_bp]

    with pytest.raises(LookupError, match="typo_api.typo.*unknown permission 'setings'"):
        register_plugin(Typo(), "typo")  # the kit mounts its routes, as create_app would
