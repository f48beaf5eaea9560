"""Views, profiles with panels, plugins and settings, plugin API blueprints."""

import flask_smorest
import marshmallow as ma

from app.hookspecs import hookimpl
from app.plugin import require
from app.registry import Panel


def test_personal_and_shared_views(client, as_role):
    _, support = as_role("support")
    _, manager = as_role("manager")
    refused = client.post("/api/v1/views", json={"name": "Team", "shared": True}, headers=support)
    assert refused.status_code == 403
    mine = client.post(
        "/api/v1/views",
        json={
            "name": "Mine",
            "filters": {"status": ["open"], "tag": "vip", "created_after": "2026-01-01T10:00:00+01:00"},
        },
        headers=support,
    ).get_json()
    assert mine["filters"]["created_after"] == "2026-01-01T09:00:00+00:00"
    team = client.post("/api/v1/views", json={"name": "Team", "shared": True}, headers=manager).get_json()
    names = [v["name"] for v in client.get("/api/v1/views", headers=support).get_json()["items"]]
    assert names == ["Mine", "Team"]
    assert client.patch(f"/api/v1/views/{team['id']}", json={"name": "Mine now"}, headers=support).status_code == 403
    renamed = client.patch(f"/api/v1/views/{mine['id']}", json={"name": "Renamed"}, headers=support)
    assert renamed.get_json()["name"] == "Renamed"
    assert client.get(f"/api/v1/views/{mine['id']}", headers=manager).status_code == 404
    assert client.delete(f"/api/v1/views/{team['id']}", headers=manager).status_code == 204
    bad = client.post(
        "/api/v1/views", json={"name": "x", "filters": {"status": ["lost"], "colour": "red"}}, headers=support
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]["filters"]) == {"status", "colour"}


class OrdersPanel(Panel):
    slug = "orders"
    title = "Orders"

    def render_data(self, profile):
        return {"count": 2, "name": profile.name}


class BrokenPanel(Panel):
    slug = "broken"
    title = "Broken"

    def render_data(self, profile):
        raise RuntimeError("upstream down")


class PanelPlugin:
    @hookimpl
    def helpline_register_panels(self):
        return [OrdersPanel, BrokenPanel]


def test_profile_with_panels_of_enabled_plugins(client, as_role, register_plugin, ticket, app):
    _, headers = as_role("support")
    # The first-party predictive panel is on by default; this test is about other panels.
    app.extensions["helpline.plugins"].set_enabled("predictive", False)
    register_plugin(PanelPlugin(), "panels")
    body = client.get(f"/api/v1/profiles/{ticket.profile_id}", headers=headers).get_json()
    assert body["email"] == "ana@example.net" and body["ticket_count"] == 1
    assert body["recent_tickets"][0]["id"] == ticket.id
    panels = {p["slug"]: p for p in body["panels"]}
    assert panels["orders"]["data"] == {"count": 2, "name": "Ana"}
    assert panels["broken"]["data"] is None and panels["broken"]["error"]
    app.extensions["helpline.plugins"].set_enabled("panels", False)
    assert client.get(f"/api/v1/profiles/{ticket.profile_id}", headers=headers).get_json()["panels"] == []
    assert client.get("/api/v1/profiles/999999", headers=headers).status_code == 404


def test_plugins_list_enable_disable(client, as_role, fake_channel, ticket):
    _, headers = as_role("admin")
    items = {p["name"]: p for p in client.get("/api/v1/plugins", headers=headers).get_json()["items"]}
    assert items["fake-channel"]["enabled"] is True and items["core"]["first_party"] is True
    off = client.post("/api/v1/plugins/fake-channel/disable", headers=headers)
    assert off.status_code == 200 and off.get_json()["enabled"] is False
    refused = client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"kind": "reply", "text": "hi"}, headers=headers
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "channel_unavailable"
    assert client.post("/api/v1/plugins/fake-channel/enable", headers=headers).get_json()["enabled"] is True
    assert client.post("/api/v1/plugins/core/disable", headers=headers).status_code == 409
    assert client.post("/api/v1/plugins/nope/enable", headers=headers).status_code == 404


def test_settings_are_validated_by_the_plugin_schema(client, as_role, fake_channel):
    _, headers = as_role("owner")
    core = client.get("/api/v1/settings/core", headers=headers).get_json()
    assert core["settings"]["organization_name"] == "My Shop"
    assert {f["name"] for f in core["fields"]} >= {"organization_name", "sms_prefix", "support_email", "unread_badge"}
    saved = client.put(
        "/api/v1/settings/core", json={"organization_name": "Acme", "unread_badge": False}, headers=headers
    )
    assert saved.status_code == 200
    assert saved.get_json()["settings"]["organization_name"] == "Acme"
    assert saved.get_json()["settings"]["sms_prefix"] == "MyShop"  # left out: kept
    assert client.get("/api/v1/me", headers=headers).get_json()["unread_badge"] is False
    bad = client.put("/api/v1/settings/core", json={"support_email": "nope", "colour": "red"}, headers=headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"support_email", "colour"}
    fake = client.put("/api/v1/settings/fake-channel", json={"max_length": 0}, headers=headers)
    assert fake.status_code == 422 and "max_length" in fake.get_json()["error"]["fields"]
    assert client.get("/api/v1/settings/nope", headers=headers).status_code == 404


class Echo(ma.Schema):
    word = ma.fields.String(required=True, validate=ma.validate.Length(max=20))


echo_bp = flask_smorest.Blueprint("echo_api", __name__, url_prefix="/echo")


@echo_bp.post("/")
@require("inbox")
@echo_bp.arguments(Echo)
@echo_bp.response(200, Echo)
def echo(body):
    """Say it back."""
    return body


class EchoPlugin:
    @hookimpl
    def helpline_register_blueprints(self):
        return [echo_bp]


def test_plugin_api_blueprint_is_documented_and_follows_plugin_state(app, client, as_role, register_plugin):
    from app.api import mount_plugin_blueprints

    register_plugin(EchoPlugin(), "echo")
    mount_plugin_blueprints(app)
    _, headers = as_role("support")
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/echo/"]["post"]["x-permission"] == "inbox"
    assert client.post("/api/v1/echo/", json={"word": "hi"}, headers=headers).get_json() == {"word": "hi"}
    assert client.post("/api/v1/echo/", json={"word": "hi"}).status_code == 401
    app.extensions["helpline.plugins"].set_enabled("echo", False)
    gone = client.post("/api/v1/echo/", json={"word": "hi"}, headers=headers)
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "not_found"


def test_secret_settings_are_masked_and_an_echoed_mask_keeps_them(app, client, as_role):
    _, headers = as_role("admin")
    url = "/api/v1/settings/email"
    saved = client.put(url, json={"smtp_password": "hunter2-hunter2"}, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["settings"]["smtp_password"] == "********"
    fields = {f["name"]: f for f in saved.get_json()["fields"]}
    assert fields["smtp_password"]["secret"] is True and fields["smtp_host"]["secret"] is False
    shown = client.get(url, headers=headers).get_json()["settings"]
    assert "hunter2" not in str(shown)
    shown["from_name"] = "Acme support"
    assert client.put(url, json=shown, headers=headers).status_code == 200
    stored = app.extensions["helpline.plugins"].get_settings("email")
    assert stored["smtp_password"] == "hunter2-hunter2" and stored["from_name"] == "Acme support"
