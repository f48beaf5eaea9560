"""The rules' settings pages in a real Chromium, CSRF on."""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page(app, client, login, make_agent, live_url):
    """A Chromium page logged in as an admin; fails the test on any console
    or page error."""
    login(client, make_agent(role="admin", password=None))
    cookie = client.get_cookie("session")
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "session", "value": cookie.value, "url": live_url}])
        tab = context.new_page()
        tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: problems.append(str(exc)))
        yield tab
        browser.close()
    assert problems == []


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
    assert plugins.get_settings("autoclose") == {"enabled": True, "inactivity_days": 3, "typing_grace_minutes": 5}


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
    assert plugins.get_settings("roundrobin") == {"enabled": True, "roles": ["support"], "max_open_per_agent": 15}
    assert page.get_by_label("Most open tickets per agent").input_value() == "15"
