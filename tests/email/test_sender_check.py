"""Is the From address the sender's? With trusted mail servers set, the
Authentication-Results header written by one of them decides, and mail it
could not verify is marked in the thread, on the email card and in the API.
Mail goes through the plugin's real SMTP listener."""

import pytest
from email_kit import make_mail, smtp_send

from app.auth import create_token
from app.models import Message
from plugins.email.authcheck import check

GOOGLE = "mx.google.com"


@pytest.mark.parametrize(
    ("headers", "sender", "verdict"),
    [
        # DMARC decides when it passed or failed.
        (["mx.google.com; dmarc=pass header.from=shop.example"], "a@shop.example", (True, "dmarc=pass")),
        (["mx.google.com; dkim=pass header.d=shop.example; dmarc=fail"], "a@shop.example", (False, "dmarc=fail")),
        # Without a DMARC verdict: an aligned DKIM or SPF pass.
        (["mx.google.com; dkim=pass header.d=mail.shop.example; dmarc=none"], "a@shop.example", (True, "dkim=pass")),
        (["mx.google.com; dkim=pass header.i=@shop.example"], "a@eu.shop.example", (True, "dkim=pass")),
        (["mx.google.com; spf=pass smtp.mailfrom=bounce@shop.example"], "a@shop.example", (True, "spf=pass")),
        # A pass for someone else's domain proves nothing about the From.
        (
            ["mx.google.com; dkim=pass header.d=esp.example; spf=pass smtp.mailfrom=b@esp.example"],
            "a@shop.example",
            (False, "dkim=pass, spf=pass"),
        ),
        (
            ["mx.google.com; dkim=fail header.d=shop.example; spf=softfail"],
            "a@shop.example",
            (False, "dkim=fail, spf=softfail"),
        ),
        (["mx.google.com; none"], "a@shop.example", (False, "no_results")),
        # Anyone can write the header: only the trusted server's counts, the topmost first.
        (["attacker.example; dmarc=pass"], "a@shop.example", (False, "no_results")),
        (
            ["attacker.example; dmarc=pass", "mx.google.com; dmarc=fail", "mx.google.com; dmarc=pass"],
            "a@shop.example",
            (False, "dmarc=fail"),
        ),
        ([], "a@shop.example", (False, "no_results")),
        (["MX.Google.COM ; DMARC=pass"], "a@shop.example", (True, "dmarc=pass")),
        # A header that does not parse is skipped, never an error.
        (["mx.google.com; dmarc=(", "mx.google.com; dmarc=pass"], "a@shop.example", (True, "dmarc=pass")),
    ],
)
def test_the_verdict(headers, sender, verdict):
    result = check(headers, sender, [GOOGLE])
    assert (result["verified"], result["reason"]) == verdict


def test_no_trusted_server_means_no_check():
    assert check(["mx.google.com; dmarc=fail"], "a@shop.example", []) is None


@pytest.fixture
def trusted(app, email_settings):
    return app.extensions["helpline.plugins"].set_settings("email", {"trusted_mail_servers": "MX.google.com"})


def results_header(value):
    return {"Authentication-Results": value}


def test_spoofed_mail_is_marked_in_the_thread_the_card_and_the_api(app, trusted, listener, client, login, make_agent):
    assert trusted["trusted_mail_servers"] == [GOOGLE]
    # The customer's own mail, then one claiming to be them that their domain's DMARC refused.
    smtp_send(
        listener,
        make_mail(
            text="Where is my parcel?", headers=results_header("mx.google.com; dmarc=pass header.from=customer.example")
        ),
    )
    smtp_send(
        listener,
        make_mail(
            text="Please send my order to 1 New Street instead.",
            message_id="<spoof@customer.example>",
            headers=results_header("mx.google.com; spf=fail smtp.mailfrom=anna@customer.example; dmarc=fail"),
        ),
    )
    genuine, spoofed = Message.select().where(Message.direction == "inbound").order_by(Message.id)
    agent = make_agent(role="support")
    login(client, agent)

    page = client.get(f"/t/{spoofed.ticket_id}").get_data(as_text=True)
    assert page.count("data-email-unverified") == 1  # the spoofed one only
    assert "Unverified sender." in page
    assert "could not confirm that this mail comes from anna@customer.example (dmarc=fail)" in page
    # The card describes the latest mail.
    assert 'data-state="unverified"' in page and "not verified (dmarc=fail)" in page

    _, token = create_token(agent, "test")
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get(f"/api/v1/email/messages/{spoofed.id}", headers=headers).get_json()
    assert api["sender_check"] == {"verified": False, "reason": "dmarc=fail", "server": GOOGLE}
    assert client.get(f"/api/v1/email/messages/{genuine.id}", headers=headers).get_json()["sender_check"] == {
        "verified": True,
        "reason": "dmarc=pass",
        "server": GOOGLE,
    }


def test_mail_without_the_trusted_servers_results_is_unverified(app, trusted, listener, client, login, make_agent):
    # Sent straight to the listener, past the provider: its header names another server.
    smtp_send(listener, make_mail(text="Refund me", headers=results_header("mx.google.com.evil.example; dmarc=pass")))
    [message] = Message.select().where(Message.direction == "inbound")
    assert message.meta["sender_check"] == {"verified": False, "reason": "no_results", "server": None}
    login(client, make_agent(role="support"))
    page = client.get(f"/t/{message.ticket_id}").get_data(as_text=True)
    assert "no Authentication-Results from a trusted mail server" in page
    assert "not verified (no results from a trusted mail server)" in page


def test_without_the_setting_nothing_is_marked(app, email_settings, listener, client, login, make_agent):
    smtp_send(listener, make_mail(text="Hello", headers=results_header("mx.google.com; dmarc=fail")))
    [message] = Message.select().where(Message.direction == "inbound")
    assert "sender_check" not in message.meta
    login(client, make_agent(role="support"))
    page = client.get(f"/t/{message.ticket_id}").get_data(as_text=True)
    assert "data-email-unverified" not in page and "Sender check" not in page


def test_the_setting_takes_host_names_only(app, client, make_agent):
    _, token = create_token(make_agent(role="admin"), "test")
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.put(
        "/api/v1/settings/email", json={"trusted_mail_servers": ["mx.google.com", "not a host"]}, headers=headers
    )
    assert answer.status_code == 422
    assert "Not a host name." in str(answer.get_json()["error"]["fields"])
    answer = client.put(
        "/api/v1/settings/email", json={"trusted_mail_servers": "mx1.shop.example, MX2.shop.example"}, headers=headers
    )
    assert answer.status_code == 200
    assert answer.get_json()["settings"]["trusted_mail_servers"] == ["mx1.shop.example", "mx2.shop.example"]
