"""Both rules are set on their generated settings pages (Settings → Plugins),
switched on and off by their plugin's switch alone; their old addresses
redirect there (HTTP level)."""

import pytest


@pytest.fixture
def admin(make_agent):
    return make_agent(role="admin", password=None)


@pytest.mark.parametrize("plugin", ["autoclose", "roundrobin"])
def test_only_admins_may_open_the_settings(client, login, make_agent, admin, plugin):
    url = f"/settings/plugins/{plugin}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login?next=")
    login(client, make_agent(role="support", password=None))
    assert client.get(url).status_code == 403
    login(client, admin)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("plugin", ["autoclose", "roundrobin"])
def test_the_old_address_redirects_even_while_the_plugin_is_off(client, login, admin, plugins, plugin):
    login(client, admin)
    assert plugins.is_enabled(plugin) is False  # off until the merchant turns it on
    moved = client.get(f"/rules/{plugin}/settings?preview_days=3")
    assert moved.status_code == 301 and moved.location == f"/settings/plugins/{plugin}?preview_days=3"
    # The preview and the dry-run record show before the rule is switched on.
    page = client.get(moved.location).get_data(as_text=True)
    assert 'id="preview-summary"' in page and 'id="dry-run-title"' in page
    assert 'data-state="off"' in page and "Turn on" in page


@pytest.mark.parametrize("plugin", ["autoclose", "roundrobin"])
def test_the_plugin_switch_is_the_rule_switch(client, login, admin, plugins, plugin):
    login(client, admin)
    page = client.get(f"/settings/plugins/{plugin}").get_data(as_text=True)
    assert 'id="field-enabled"' not in page  # no second switch inside the plugin
    on = client.post(f"/settings/plugins/{plugin}/enabled", data={"enabled": "1", "back": "settings"})
    assert on.status_code == 302 and on.location == f"/settings/plugins/{plugin}"
    assert plugins.is_enabled(plugin)
    rules = client.get("/settings/rules").get_data(as_text=True)
    row = rules[rules.index(f'data-rule="{plugin}"') :]
    assert 'data-state="on"' in row[: row.index("</tr>")]


def test_autoclose_form_refuses_a_bad_period_and_saves_a_good_one(client, login, admin, plugins):
    login(client, admin)
    bad = client.post("/settings/plugins/autoclose", data={"inactivity_days": "0", "typing_grace_minutes": "5"})
    assert bad.status_code == 200
    assert "The inactivity period is from 1 to 90 days." in bad.get_data(as_text=True)
    text = client.post("/settings/plugins/autoclose", data={"inactivity_days": "soon", "typing_grace_minutes": "5"})
    assert "whole number of days" in text.get_data(as_text=True)
    good = client.post("/settings/plugins/autoclose", data={"inactivity_days": "7", "typing_grace_minutes": "10"})
    assert good.status_code == 302
    assert plugins.get_settings("autoclose") == {
        "dry_run": False,
        "inactivity_days": 7,
        "typing_grace_minutes": 10,
    }
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Settings saved." in page and 'value="7"' in page


def test_roundrobin_form_needs_a_role_and_a_sane_cap(client, login, admin, plugins):
    login(client, admin)
    bad = client.post("/settings/plugins/roundrobin", data={"max_open_per_agent": "-1"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Choose at least one role." in body and "The cap is from 0 (no limit) to 1000" in body
    forged = client.post("/settings/plugins/roundrobin", data={"roles": ["analyst"], "max_open_per_agent": "1"})
    assert "owner, admin, manager or support" in forged.get_data(as_text=True)
    good = client.post(
        "/settings/plugins/roundrobin", data={"roles": ["support", "admin"], "max_open_per_agent": "0", "dry_run": "1"}
    )
    assert good.status_code == 302
    assert plugins.get_settings("roundrobin") == {
        "dry_run": True,
        "roles": ["support", "admin"],
        "max_open_per_agent": 0,
    }


def test_stored_inner_switch_is_folded_into_the_plugin_switch(app, plugins):
    """Migration 0001 (auto-close) / 0002 (round-robin): a plugin that was on
    with its rule off is turned off; on with its rule on (or in dry run) stays
    on; the old key is dropped, so the next save validates."""
    from playhouse.migrations import SchemaMigrator

    from app.db import db
    from app.models import PluginState

    plugins.set_enabled("autoclose", True)
    plugins.set_enabled("roundrobin", True)
    PluginState.update(settings={"enabled": False, "inactivity_days": 5}).where(
        PluginState.name == "autoclose"
    ).execute()
    PluginState.update(settings={"enabled": False, "dry_run": True}).where(PluginState.name == "roundrobin").execute()
    for name, migration in (("autoclose", "0001_plugin_switch"), ("roundrobin", "0002_plugin_switch")):
        info = plugins.infos[name]
        module = {}
        with open(f"{info.migrations_dir}/{migration}.py") as fh:
            exec(compile(fh.read(), migration, "exec"), module)
        module["up"](SchemaMigrator.from_database(db.obj), db.obj)
    plugins.forget_state()
    assert plugins.is_enabled("autoclose") is False
    assert plugins.get_settings("autoclose")["inactivity_days"] == 5
    assert plugins.is_enabled("roundrobin") is True  # it was recording a dry run: it still does
    assert plugins.get_settings("roundrobin")["dry_run"] is True
    plugins.set_settings("autoclose", {"typing_grace_minutes": 9})  # no "unknown field enabled"
    assert "enabled" not in PluginState.get(PluginState.name == "autoclose").settings


def test_an_enabled_key_stored_before_the_plugin_switch_is_ignored(client, api_as, plugins):
    """Settings saved by a version with the inner switch (and not migrated)
    still read and save; the key neither shows nor switches anything."""
    from app.models import PluginState

    _, headers = api_as("admin")
    plugins.set_enabled("autoclose", True)
    PluginState.update(settings={"enabled": False, "inactivity_days": 5}).where(
        PluginState.name == "autoclose"
    ).execute()
    plugins.forget_state()
    shown = client.get("/api/v1/settings/autoclose", headers=headers).get_json()
    assert shown["settings"] == {"dry_run": False, "inactivity_days": 5, "typing_grace_minutes": 5}
    assert "enabled" not in {f["name"] for f in shown["fields"]}
    saved = client.put("/api/v1/settings/autoclose", json={"typing_grace_minutes": 9}, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["settings"] == {"dry_run": False, "inactivity_days": 5, "typing_grace_minutes": 9}
    assert PluginState.get(PluginState.name == "autoclose").settings == {
        "inactivity_days": 5,
        "typing_grace_minutes": 9,
    }
    assert plugins.is_enabled("autoclose") is True
    # Sent now, the old switch is refused: the plugin switch is the one.
    refused = client.put("/api/v1/settings/autoclose", json={"enabled": False}, headers=headers)
    assert refused.status_code == 422 and list(refused.get_json()["error"]["fields"]) == ["enabled"]
