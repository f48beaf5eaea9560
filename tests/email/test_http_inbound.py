"""``POST /email/inbound``: raw MIME from a provider's webhook."""

import pytest
from email_kit import SECRET, make_mail

from app.models import Message, Ticket
from plugins.email.views import signature_for


@pytest.fixture
def helpline_config(tmp_path):
    # CSRF on, as in production: the webhook must work without a token.
    return {"ATTACHMENTS_DIR": str(tmp_path / "attachments"), "WTF_CSRF_ENABLED": True}


def post(client, raw, signature=None, secret=SECRET):
    headers = {"Content-Type": "message/rfc822"}
    if signature is None:
        signature = "sha256=" + signature_for(secret, raw)
    if signature:
        headers["X-Helpline-Signature"] = signature
    return client.post("/email/inbound", data=raw, headers=headers)


def test_signed_message_creates_a_ticket(app, client, email_settings):
    raw = bytes(make_mail(text="Posted by the provider", message_id="<w1@customer.example>"))
    response = post(client, raw)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["outcome"] == "created"
    message = Message.get(Message.external_id == "w1@customer.example")
    assert message.text == "Posted by the provider"
    assert message.meta["via"] == "http"
    again = post(client, raw)
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    assert Message.select().count() == 1


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "not-hex"], ids=["missing", "wrong", "junk"])
def test_bad_signature_is_403(app, client, email_settings, signature):
    raw = bytes(make_mail(text="Forged"))
    response = post(client, raw, signature=signature)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "bad_signature"
    assert Ticket.select().count() == 0


def test_signature_with_another_key_is_403(app, client, email_settings):
    assert post(client, bytes(make_mail()), secret="other").status_code == 403


def test_no_secret_configured_refuses_everything(app, client, email_settings):
    app.extensions["helpline.plugins"].set_settings("email", {"inbound_secret": ""})
    assert post(client, bytes(make_mail()), secret="").status_code == 403


def test_oversized_message_is_413(app, client, email_settings):
    raw = bytes(make_mail(text="x" * (600 * 1024)))
    response = post(client, raw)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert Ticket.select().count() == 0


def test_disabled_plugin_answers_404(app, client, email_settings):
    app.extensions["helpline.plugins"].set_enabled("email", False)
    assert post(client, bytes(make_mail())).status_code == 404


def test_auto_reply_over_http_is_dropped(app, client, email_settings):
    raw = bytes(make_mail(text="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    response = post(client, raw)
    assert response.status_code == 200 and response.json["outcome"] == "dropped"
    assert Ticket.select().count() == 0


def test_html_only_mail_gets_readable_text(app, client, email_settings):
    mail = make_mail(text="unused", message_id="<html-only@customer.example>")
    mail.set_content("<p>Only <b>HTML</b> here</p><script>x</script>", subtype="html")
    raw = bytes(mail)
    assert post(client, raw).status_code == 201
    message = Message.get()
    assert message.text == "Only HTML here"
    assert "<b>HTML</b>" in message.html and "script" not in message.html


def test_huge_html_falls_back_to_text(app, client, email_settings):
    app.extensions["helpline.plugins"].set_settings("email", {"max_message_bytes": 4 * 1024 * 1024})
    mail = make_mail(text="Short text version", html="<p>" + "big " * 300_000 + "</p>")
    assert post(client, bytes(mail)).status_code == 201
    message = Message.get()
    assert message.text == "Short text version"
    assert "big" not in message.html and message.meta["html_too_large"]
