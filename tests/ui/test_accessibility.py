"""Every main page passes axe-core's serious and critical checks, as a
screen-reader or keyboard user would need (app.testing.accessibility)."""

import pytest

from app.services import tickets
from app.testing.accessibility import EVERY_IMPACT
from plugins.macros import service as macros


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_login_page_is_accessible(pages, assert_accessible):
    page = pages.new()
    page.goto("/login")
    assert_accessible(page, EVERY_IMPACT)


def test_agent_pages_are_accessible(main_pages, pages, make_agent, fake_channel, assert_accessible):
    admin = make_agent(role="admin", name="Ada Admin", password=None)
    ticket = fake_channel.receive("Where is my parcel?", name="Pat Buyer", email="pat@example.net").ticket
    tickets.change_tags(ticket, add=["vip"])
    fake_channel.receive("And a second question", email="q@example.net")
    macros.create(admin, "Thanks", "Thank you!", [], True)

    page = pages.login(admin, start="/inbox/unassigned")
    assert_accessible(page, EVERY_IMPACT)
    # Every page is held to every axe impact, the generated settings of the
    # rules (with their preview and dry-run sections) and of the office-hours
    # editors included.
    generated = tuple(f"/settings/plugins/{name}" for name in ("autoclose", "roundrobin", "webchat", "reports"))
    checks = [(url, EVERY_IMPACT) for url in main_pages + generated + (f"/t/{ticket.id}",)]
    failures = []
    for url, impacts in checks:
        page.goto(url)
        try:
            assert_accessible(page, impacts)
        except AssertionError as exc:  # every page's findings in one run
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_the_check_names_what_it_finds(pages, assert_accessible):
    page = pages.new()
    page.goto("/login")
    page.evaluate("document.querySelector('form').append(document.createElement('button'))")
    with pytest.raises(AssertionError, match="button-name \\(critical\\)"):
        assert_accessible(page)
