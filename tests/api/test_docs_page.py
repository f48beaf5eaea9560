"""The API reference page renders the document in a real browser, offline."""


def test_docs_page_lists_every_operation(pages, live_server, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = sum(
        1 for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and "responses" in op
    )
    external = []
    base = live_server.url
    page = pages.new()  # any console or page error fails the test
    # Offline: any request off this server fails the test.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base)
            else (external.append(route.request.url), route.abort())
        ),
    )
    page.goto(base + "/api/v1/docs")
    page.wait_for_selector("details")
    summaries = page.locator("details > summary")
    assert summaries.count() == operations
    ticket_list = page.locator("summary", has_text="/api/v1/tickets").first
    assert "GET" in ticket_list.inner_text() and "inbox" in ticket_list.inner_text()
    ticket_list.click()
    assert "TicketPage" in page.locator("details[open] pre").inner_text()
    assert external == []
