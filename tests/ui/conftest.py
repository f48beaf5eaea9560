"""Fixtures for the UI's browser tests."""

import pytest

# browser, live_server, pages, wait_live and outside come from the kit
# (app.testing.browser), shared with every plugin's browser tests;
# screenshot from tests/conftest.py.


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
        "/account",
    )
