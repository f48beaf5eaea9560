"""The API tokens page in a real browser: an agent creates a token (shown
once), uses it, and revokes it after a confirmation; an owner also sees and
revokes other agents' tokens, a support agent never sees them."""

import pytest
from playwright.sync_api import expect

from app.auth import create_token


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def _api_status(live_server, token):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(live_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def test_create_use_and_revoke_my_token(pages, live_server, make_agent, screenshot, assert_accessible):
    sam = make_agent(role="support", name="Sam Support")
    other = make_agent(role="manager", name="Max Manager")
    create_token(other, "max's report script")
    page = pages.login(sam, start="/account/tokens")
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()
    expect(page.get_by_role("heading", name="Tokens of other agents")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-name-error")).to_contain_text("Missing data")
    page.get_by_label("Name").fill("Nightly export")
    page.get_by_label("Access").select_option("read")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Token Nightly export created")).to_be_visible()
    secret = page.get_by_label("Your new token").input_value()
    assert secret.startswith("hl_")
    row = page.locator("[data-tokens=mine] tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Nightly export")
    expect(row).to_contain_text("Read-only")
    assert_accessible(page)
    screenshot(page, "api-tokens")
    assert _api_status(live_server, secret) == 200

    page.goto("/account/tokens")  # shown once: a fresh page holds no secret
    expect(page.get_by_label("Your new token")).to_have_count(0)
    assert secret not in page.content()

    page.get_by_role("link", name="Revoke the token Nightly export").click()
    expect(page.get_by_role("heading", name="Revoke the token Nightly export?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Keep it").click()
    assert _api_status(live_server, secret) == 200
    page.get_by_role("link", name="Revoke the token Nightly export").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("The token Nightly export is revoked.")).to_be_visible()
    expect(page.locator("[data-tokens=mine] tbody tr")).to_contain_text("Revoked")
    assert _api_status(live_server, secret) == 401


def test_an_owner_revokes_another_agents_token(pages, live_server, make_agent, assert_accessible, app):
    owner = make_agent(role="owner", name="Olga Owner")
    leaver = make_agent(role="support", name="Lea Leaving")
    _, secret = create_token(leaver, "laptop script")
    page = pages.login(owner, start="/account/tokens")
    others = page.locator("[data-tokens=others] tbody tr")
    expect(others).to_have_count(1)
    expect(others).to_contain_text("Lea Leaving")
    assert secret not in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Revoke the token laptop script of Lea Leaving").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("The token laptop script is revoked.")).to_be_visible()
    expect(page.get_by_text("No other agent has a live token.")).to_be_visible()
    assert _api_status(live_server, secret) == 401
