"""Email in the agent's browser (Debian's Chromium through Playwright):
remote images stay blocked until allowed, files go out with a reply."""

import http.server
import threading

import pytest
from email_kit import make_mail, smtp_send
from playwright.sync_api import expect

from app.models import Message

PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.fixture
def helpline_config(tmp_path):
    # The real CSRF policy: every form and script in the UI must carry a token.
    return {"WTF_CSRF_ENABLED": True, "ATTACHMENTS_DIR": str(tmp_path / "attachments")}


@pytest.fixture
def tracker():
    """A stand-in for a sender's tracking server: counts image requests."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_remote_images_load_only_after_show_images(app, listener, pages, wait_live, make_agent, tracker):
    port, hits = tracker
    src = f"http://127.0.0.1:{port}/open.gif?who=anna"
    smtp_send(listener, make_mail(text="Hi", html=f'<p>Hello shop</p><img src="{src}" alt="pixel">'))
    message = Message.get(Message.direction == "inbound")
    page = pages.login(make_agent())
    page.goto(f"/t/{message.ticket_id}")
    wait_live(page)
    body = page.locator(f"#message-{message.id}")
    expect(body).to_contain_text("Hello shop")
    expect(body).to_contain_text("1 remote image blocked.")
    page.wait_for_function(f"() => document.querySelector('#message-{message.id} img[alt=pixel]').complete")
    assert hits == []  # opening the ticket told the tracker nothing

    body.get_by_role("button", name="Show images").click()
    page.wait_for_url(f"**/t/{message.ticket_id}#message-{message.id}")
    image = page.locator(f'#message-{message.id} img[alt="pixel"]')
    expect(image).to_have_attribute("src", src)
    page.wait_for_function(f"() => document.querySelector('#message-{message.id} img[alt=pixel]').naturalWidth === 1")
    assert hits == ["/open.gif?who=anna"]


def test_files_picked_in_the_composer_go_out_with_the_reply(
    app, listener, relay, pages, wait_live, make_agent, tmp_path
):
    smtp_send(listener, make_mail(text="Can I have the invoice?", headers={"Cc": "partner@customer.example"}))
    ticket_id = Message.get(Message.direction == "inbound").ticket_id
    invoice = tmp_path / "invoice.txt"
    invoice.write_bytes(b"Invoice 1001: 42 EUR")
    page = pages.login(make_agent())
    page.goto(f"/t/{ticket_id}")
    wait_live(page)
    page.locator("#email-files").set_input_files(str(invoice))
    page.get_by_label("Keep Cc").check()
    page.locator("#composer-text").fill("Here is your invoice.")
    page.locator("#composer-submit").click()  # the usual Send button
    expect(page.locator(".msg-outbound")).to_contain_text("Here is your invoice.")
    expect(page.locator(".msg-outbound .attachments")).to_contain_text("invoice.txt")
    expect(page.locator("#composer-text")).to_have_value("")
    # The files and the Cc went with that reply: the next one starts clean.
    expect(page.get_by_label("Keep Cc")).not_to_be_checked()
    assert page.locator("#email-files").evaluate("el => el.files.length") == 0
    [sent] = relay.messages
    assert sent["message"]["Cc"] == "partner@customer.example"
    [part] = list(sent["message"].iter_attachments())
    assert part.get_filename() == "invoice.txt" and part.get_content() in (
        "Invoice 1001: 42 EUR",
        b"Invoice 1001: 42 EUR",
    )
