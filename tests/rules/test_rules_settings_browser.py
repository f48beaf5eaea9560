"""The rules' settings pages in a real Chromium, CSRF on."""

import pytest


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_url(live_server):
    return live_server.url


@pytest.fixture
def page(pages, make_agent):
    """A Chromium page logged in as an admin (the kit's ``pages`` fails the
    test on any console or page error)."""
    return pages.login(make_agent(role="admin", password=None), start="/")


def test_merchant_switches_auto_close_on_with_a_valid_period(page, live_url, plugins):
    page.goto(f"{live_url}/rules/autoclose/settings")
    page.get_by_label("Close inactive tickets").check()
    page.get_by_label("Inactivity period (days)").fill("120")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#inactivity_days-error").inner_text() == "The inactivity period is from 1 to 90 days."
    assert plugins.get_settings("autoclose")["enabled"] is False
    page.get_by_label("Inactivity period (days)").fill("3")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == "Settings saved."
    assert page.get_by_label("Close inactive tickets").is_checked()
    assert plugins.get_settings("autoclose") == {
        "enabled": True,
        "dry_run": False,
        "inactivity_days": 3,
        "typing_grace_minutes": 5,
    }


def test_merchant_sets_up_round_robin_for_support_with_a_cap(page, live_url, plugins):
    page.goto(f"{live_url}/rules/roundrobin/settings")
    page.get_by_label("Assign new tickets automatically").check()
    page.get_by_label("Manager").uncheck()
    page.get_by_label("Support").uncheck()
    page.get_by_role("button", name="Save").click()
    assert page.locator("#roles-error").inner_text() == "Choose at least one role."
    page.get_by_label("Support").check()
    page.get_by_label("Most open tickets per agent").fill("15")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").wait_for()
    assert plugins.get_settings("roundrobin") == {
        "enabled": True,
        "dry_run": False,
        "roles": ["support"],
        "max_open_per_agent": 15,
    }
    assert page.get_by_label("Most open tickets per agent").input_value() == "15"
