"""The settings pages of both rules (HTTP level)."""

import pytest


@pytest.fixture
def admin(make_agent):
    return make_agent(role="admin", password=None)


@pytest.mark.parametrize("plugin", ["autoclose", "roundrobin"])
def test_only_admins_may_open_the_settings(client, login, make_agent, admin, plugin):
    url = f"/rules/{plugin}/settings"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login?next=")
    login(client, make_agent(role="support", password=None))
    assert client.get(url).status_code == 403
    login(client, admin)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("plugin", ["autoclose", "roundrobin"])
def test_the_page_is_gone_while_the_plugin_is_disabled(client, login, admin, plugins, plugin):
    login(client, admin)
    plugins.set_enabled(plugin, False)
    assert client.get(f"/rules/{plugin}/settings").status_code == 404


def test_autoclose_form_refuses_a_bad_period_and_saves_a_good_one(client, login, admin, plugins):
    login(client, admin)
    bad = client.post(
        "/rules/autoclose/settings", data={"enabled": "on", "inactivity_days": "0", "typing_grace_minutes": "5"}
    )
    assert bad.status_code == 200
    assert "The inactivity period is from 1 to 90 days." in bad.get_data(as_text=True)
    assert plugins.get_settings("autoclose")["enabled"] is False
    text = client.post("/rules/autoclose/settings", data={"inactivity_days": "soon", "typing_grace_minutes": "5"})
    assert "whole number of days" in text.get_data(as_text=True)
    good = client.post(
        "/rules/autoclose/settings", data={"enabled": "on", "inactivity_days": "7", "typing_grace_minutes": "10"}
    )
    assert good.status_code == 302
    assert plugins.get_settings("autoclose") == {
        "enabled": True,
        "dry_run": False,
        "inactivity_days": 7,
        "typing_grace_minutes": 10,
    }
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Settings saved." in page and 'value="7"' in page


def test_roundrobin_form_needs_a_role_and_a_sane_cap(client, login, admin, plugins):
    login(client, admin)
    bad = client.post("/rules/roundrobin/settings", data={"enabled": "on", "max_open_per_agent": "-1"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Choose at least one role." in body and "The cap is from 0 (no limit) to 1000" in body
    forged = client.post("/rules/roundrobin/settings", data={"roles": ["analyst"]})
    assert "owner, admin, manager or support" in forged.get_data(as_text=True)
    good = client.post(
        "/rules/roundrobin/settings", data={"enabled": "on", "roles": ["support", "admin"], "max_open_per_agent": ""}
    )
    assert good.status_code == 302
    assert plugins.get_settings("roundrobin") == {
        "enabled": True,
        "dry_run": False,
        "roles": ["support", "admin"],
        "max_open_per_agent": 0,
    }
