"""Security headers on every kind of response, and no inline script left
in any template (the CSP would block it)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _assert_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here


@pytest.mark.parametrize(
    "path,status",
    [
        ("/login", 200),
        ("/inbox/mine", 302),
        ("/api/v1/me", 401),
        ("/api/v1/openapi.json", 200),
        ("/no/such/page", 404),
        ("/static/web/app.js", 200),
        ("/webchat/widget.js", 200),
    ],
)
def test_every_response_carries_the_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    _assert_headers(response)


def test_logged_in_pages_carry_the_headers(client, login, make_agent):
    login(client, make_agent(role="owner"))
    for path in ("/inbox/mine", "/settings", "/settings/plugins", "/account/sessions"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_headers(response)


def test_the_widget_stays_embeddable_from_another_origin(client):
    script = client.get("/webchat/widget.js", headers={"Origin": "https://shop.example"})
    # A cross-origin <script src> needs no framing and ignores the CSP of
    # the script itself; tests/webchat's browser tests drive it end to end.
    assert script.status_code == 200 and script.headers["Access-Control-Allow-Origin"] == "*"


TEMPLATES = [
    p for p in [*ROOT.glob("app/**/templates/**/*.html"), *ROOT.glob("plugins/**/templates/**/*.html")] if p.is_file()
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_templates_have_no_inline_script():
    assert TEMPLATES
    offenders = []
    for path in TEMPLATES:
        text = path.read_text()
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
