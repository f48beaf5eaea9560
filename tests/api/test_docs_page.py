"""The API reference page renders the document in a real browser, offline."""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_docs_page_lists_every_operation(live_server, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = sum(1 for item in spec["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "responses" in op)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Offline: any request off this server fails the test.
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server)
                       else (errors.append("external request " + route.request.url), route.abort()))
            page.goto(live_server + "/api/v1/docs")
            page.wait_for_selector("details")
            summaries = page.locator("details > summary")
            assert summaries.count() == operations
            ticket_list = page.locator("summary", has_text="/api/v1/tickets").first
            assert "GET" in ticket_list.inner_text() and "inbox" in ticket_list.inner_text()
            ticket_list.click()
            assert "TicketPage" in page.locator("details[open] pre").inner_text()
        finally:
            browser.close()
    assert errors == []
