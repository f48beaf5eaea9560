"""The Rules settings page lists what the rule registry holds."""

import marshmallow as ma
import pytest

from app.plugin import Rule, hookimpl


class QuietHoursSettings(ma.Schema):
    enabled = ma.fields.Boolean(load_default=True)


class QuietHours(Rule):
    slug = "quiet-hours"
    label = "Quiet hours"
    description = "Holds automatic replies overnight."

    def is_active(self):
        return self.settings["enabled"]


class QuietHoursPlugin:
    @hookimpl
    def helpline_register_rules(self):
        return [QuietHours]

    @hookimpl
    def helpline_register_settings(self):
        return QuietHoursSettings


@pytest.fixture
def admin(make_agent):
    return make_agent(role="admin", password=None)


def _row(html, slug):
    start = html.index(f'data-rule="{slug}"')
    return html[start : html.index("</tr>", start)]


def test_every_registered_rule_is_listed_with_its_state_and_settings_link(client, login, admin, register_plugin):
    register_plugin(QuietHoursPlugin(), "quiet-hours")
    login(client, admin)
    html = client.get("/settings/rules").get_data(as_text=True)
    autoclose = _row(html, "autoclose")
    assert "Auto-close inactive tickets" in autoclose and 'data-state="plugin_off"' in autoclose
    # Each links to its plugin's generated settings page (preview included).
    assert 'href="/settings/plugins/autoclose"' in autoclose
    assert 'href="/settings/plugins/roundrobin"' in _row(html, "roundrobin")
    quiet = _row(html, "quiet-hours")
    assert "Holds automatic replies overnight." in quiet and 'data-state="on"' in quiet
    assert 'href="/settings/plugins/quiet-hours"' in quiet
    assert 'href="/settings/rules"' in html  # the settings navigation leads here


def test_the_state_follows_the_rule_settings_and_the_plugin(app, client, login, admin):
    plugins = app.extensions["helpline.plugins"]
    plugins.set_enabled("autoclose", True)
    plugins.set_enabled("roundrobin", False)
    login(client, admin)
    html = client.get("/settings/rules").get_data(as_text=True)
    assert 'data-state="on"' in _row(html, "autoclose")
    roundrobin = _row(html, "roundrobin")
    assert 'data-state="plugin_off"' in roundrobin
    assert "Off: plugin Round-robin assignment is turned off" in roundrobin
    # its settings page is where the plugin is turned on, and previews what it would do
    assert 'href="/settings/plugins/roundrobin"' in roundrobin


@pytest.mark.parametrize("role", ["manager", "support"])
def test_only_admins_see_the_rules(client, login, make_agent, role):
    login(client, make_agent(role=role, password=None))
    assert client.get("/settings/rules").status_code == 403
