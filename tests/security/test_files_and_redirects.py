"""Customer files are never active content on our origin, and the login
form only ever sends people back into the app."""

import pytest

from app.services import storage

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _attachment(fake_channel, data, filename, content_type):
    stored = storage.save(data, filename, content_type)
    message = fake_channel.receive("See attached", attachments=[stored]).message
    return f"/attachments/{message.id}/{stored.storage_key}"


@pytest.mark.parametrize(
    "filename,ctype",
    [
        ("evil.svg", "image/svg+xml"),
        ("evil.html", "text/html"),
        ("evil.xml", "application/xml"),
        ("evil.pdf", "application/pdf"),
        ("evil.svg", "IMAGE/SVG+XML; charset=utf-8"),
    ],
)
def test_active_files_are_downloads_even_when_asked_inline(client, login, make_agent, fake_channel, filename, ctype):
    url = _attachment(fake_channel, SVG, filename, ctype)
    login(client, make_agent())
    for query in ("", "?inline=1"):
        response = client.get(url + query)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_raster_images_may_be_shown_inline_and_stay_sandboxed(client, login, make_agent, fake_channel):
    url = _attachment(fake_channel, PNG, "photo.png", "image/png")
    login(client, make_agent())
    shown = client.get(url + "?inline=1")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.headers["Content-Security-Policy"].startswith("sandbox")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(url).headers["Content-Disposition"].startswith("attachment;")


def test_files_need_a_login(client, fake_channel):
    url = _attachment(fake_channel, PNG, "photo.png", "image/png")
    assert client.get(url + "?inline=1").status_code == 302


TRICKY_NEXT = [
    "%2F%09%2Fevil.test%2F",  # slash, tab, slash: browsers drop the tab
    "%2F%0A%2Fevil.test%2F",  # a newline
    "%2F%0D%0ASet-Cookie:x=1",  # header injection
    "//evil.test/",
    "%2F%2Fevil.test",
    "/\\evil.test",
    "%5C%5Cevil.test",
    "https://evil.test/",
    "http:evil.test",
    "javascript:alert(1)",
    "evil.test",
    "%00/inbox",
    "/%7F/evil.test",
    "///evil.test",
]


@pytest.mark.parametrize("value", TRICKY_NEXT)
def test_login_never_redirects_off_site(client, make_agent, value):
    agent = make_agent(email="ana@example.com")
    shown = client.get("/login?next=" + value)
    assert shown.status_code == 200
    response = client.post("/login?next=" + value, data={"email": agent.email, "password": "correct horse battery"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox/mine"


@pytest.mark.parametrize("value", ["/t/12", "/inbox/all?status=open&tag=vip", "/settings/plugins"])
def test_login_follows_same_site_paths(client, make_agent, value):
    agent = make_agent(email="ana@example.com")
    response = client.post("/login", data={"email": agent.email, "password": "correct horse battery", "next": value})
    assert response.status_code == 302 and response.headers["Location"] == value
    # Logged in already: the form sends the agent on, and still only on site.
    assert client.get("/login?next=%2F%09%2Fevil.test%2F").headers["Location"] == "/inbox/mine"
