"""The password pages in a real browser: the reset link from the login
page, the invitation from the agents page, and changing my password."""

import pytest
from playwright.sync_api import expect

from app.testing.factories import PASSWORD


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_forgot_reset_and_change_password(emailed_link, pages, make_agent, email_sender, screenshot, assert_accessible):
    sam = make_agent(role="support", name="Sam Support", email="sam@example.com")
    page = pages.new()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("a link to choose a new password is on its way")
    assert_accessible(page)

    page.goto(emailed_link(email_sender))
    page.get_by_label("New password", exact=True).fill("brand new secret")
    page.get_by_label("New password again").fill("not the same")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.locator("#pw-confirm-error")).to_have_text("The two passwords differ.")
    assert_accessible(page)
    screenshot(page, "password-reset")
    page.get_by_label("New password", exact=True).fill("brand new secret")
    page.get_by_label("New password again").fill("brand new secret")
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url("**/inbox/mine")
    expect(page.get_by_text("Your password is set.")).to_be_visible()

    # Change it again from the top bar (my name), the current one required.
    page.get_by_role("link", name=sam.name).click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("third secret here")
    page.get_by_label("New password again").fill("third secret here")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#pw-current-error")).to_have_text("That is not your current password.")
    page.get_by_label("Current password").fill("brand new secret")
    page.get_by_label("New password", exact=True).fill("third secret here")
    page.get_by_label("New password again").fill("third secret here")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()

    # The same page holds my name and time zone.
    page.get_by_label("Name").fill("Samantha S.")
    page.get_by_label("Time zone").select_option("Europe/Madrid")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Samantha S.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "account")


def test_invite_from_the_agents_page(pages, make_agent, email_sender, screenshot):
    admin = make_agent(role="admin", name="Ada Admin")
    page = pages.login(admin, start="/settings/agents")
    page.get_by_label("Name", exact=True).fill("Nico New")
    page.get_by_label("Email", exact=True).fill("nico@example.com")
    page.get_by_role("button", name="Add agent").click()
    expect(page.locator(".flash-success")).to_have_text("Invitation sent to nico@example.com.")
    expect(page.locator('tr[data-agent="nico@example.com"] [data-state]')).to_have_text("Invited")
    expect(page.locator(f'tr[data-agent="{admin.email}"] [data-state]')).to_have_text("Active")
    screenshot(page, "agents")
    assert email_sender.messages[-1][0] == ["nico@example.com"]
