"""Fixtures for the UI's browser tests."""

import os

import pytest

IMG_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")

# browser, live_server, pages, wait_live and outside come from the kit
# (app.testing.browser), shared with every plugin's browser tests.


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, "name")``: with ``UI_SCREENSHOTS=1`` it writes
    docs/img/name.png for the user guide; otherwise into the test's temporary
    folder, so an ordinary test run leaves the worktree clean."""
    folder = IMG_DIR if os.environ.get("UI_SCREENSHOTS") == "1" else str(tmp_path)

    def shoot(page, name):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"))

    return shoot


@pytest.fixture
def emailed_link():
    """``emailed_link(sink)``: the password link in the last message the SMTP
    sink received, as a path on the app."""
    import re

    def find(sink):
        body = sink.messages[-1][1].get_content()
        return re.search(r"http://[^/\s]+(/password/reset/\S+)", body).group(1)

    return find


@pytest.fixture
def main_pages():
    """The main agent pages (without a ticket's, which needs a ticket), for
    checks every page must pass: accessibility, fitting the window."""
    return (
        "/inbox/mine",
        "/inbox/unassigned",
        "/inbox/all",
        "/settings",
        "/settings/plugins",
        "/settings/plugins/fake-channel",
        "/settings/agents",
        "/settings/rules",
        "/macros",
        "/macros/new",
        "/email/dropped",
        "/notifications",
        "/account/notifications",
    )
