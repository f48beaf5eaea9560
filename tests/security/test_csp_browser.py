"""In a real browser: pages run under the CSP with no violation, and a
violation would fail a test (it surfaces as a console error, which the
kit's ``pages`` fixture turns into a failure)."""

from app.testing.browser import Pages


def test_pages_load_without_csp_violations(pages, make_agent, fake_channel):
    ticket = fake_channel.receive("Where is my parcel?", email="ana@example.net").ticket
    owner = make_agent(role="owner")
    page = pages.login(owner)
    for path in (
        f"/t/{ticket.id}",
        "/settings",
        "/settings/plugins",
        "/settings/agents",
        "/settings/audit",
        "/account/sessions",
        "/api/v1/docs",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("#ops details").first.wait_for()  # the docs page's script ran: it listed the operations
    page.goto("/account/2fa")
    page.get_by_role("button", name="Set up two-factor").click()
    page.get_by_role("img", name="QR code for your authenticator app").wait_for()
    assert page.locator(".qr svg").count() == 1


def test_a_csp_violation_surfaces_as_a_console_error(browser, live_server, app):
    watched = Pages(browser, live_server.url, app)
    try:
        page = watched.new()
        page.goto("/login")
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
                "document.body.appendChild(s); }"
            )
        assert page.evaluate("() => window.ran") is None  # the inline script never ran
    finally:
        watched.close()
    assert any("Content Security Policy" in error for error in watched.errors), watched.errors
