"""A stored secret is only sent where it was entered for: moving its
destination (SMTP host/port/security/user, Twilio API URL/account) needs
the secret typed again in the same save, through the API and the form."""

import pytest

from app.plugin import get_plugins

SID = "AC" + "0" * 32
OTHER_SID = "AC" + "1" * 32


@pytest.fixture
def admin_headers(make_agent):
    from app.auth import create_token

    _, token = create_token(make_agent(role="admin", password=None), "test")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "plugin,stored,move",
    [
        ("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"}, {"smtp_host": "evil.test"}),
        ("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"}, {"smtp_port": 2525}),
        ("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"}, {"smtp_security": "none"}),
        ("sms", {"account_sid": SID, "auth_token": "tw-token"}, {"api_base_url": "https://evil.test"}),
        ("sms", {"account_sid": SID, "auth_token": "tw-token"}, {"account_sid": OTHER_SID}),
    ],
)
def test_api_refuses_a_new_destination_for_a_kept_secret(client, admin_headers, plugin, stored, move):
    plugins = get_plugins()
    plugins.set_settings(plugin, stored)
    secret = next(k for k, v in stored.items() if k.endswith(("password", "token")))
    url = f"/api/v1/settings/{plugin}"
    for body in (move, {**move, secret: "********"}):  # left out, or the mask echoed back
        refused = client.put(url, json=body, headers=admin_headers)
        assert refused.status_code == 422
        error = refused.get_json()["error"]
        assert list(error["fields"]) == [secret] and "again" in error["fields"][secret][0]
    assert plugins.get_settings(plugin)[secret] == stored[secret]
    assert all(plugins.get_settings(plugin)[k] == v for k, v in stored.items())
    # Typed again with the move: the owner of the secret chose the destination.
    accepted = client.put(url, json={**move, secret: "new-secret-value"}, headers=admin_headers)
    assert accepted.status_code == 200
    assert plugins.get_settings(plugin)[secret] == "new-secret-value"


def test_api_lets_other_changes_keep_the_secret(client, admin_headers):
    plugins = get_plugins()
    plugins.set_settings("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"})
    saved = client.put("/api/v1/settings/email", json={"from_name": "Acme", "smtp_timeout": 10}, headers=admin_headers)
    assert saved.status_code == 200
    assert plugins.get_settings("email")["smtp_password"] == "s3cret-pass"


def test_a_destination_without_a_stored_secret_changes_freely(client, admin_headers):
    saved = client.put("/api/v1/settings/email", json={"smtp_host": "smtp.new.example"}, headers=admin_headers)
    assert saved.status_code == 200


def test_clearing_a_destination_is_free_and_a_new_one_still_needs_the_secret(client, admin_headers):
    plugins = get_plugins()
    plugins.set_settings("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"})
    url = "/api/v1/settings/email"
    assert client.put(url, json={"smtp_host": ""}, headers=admin_headers).status_code == 200
    assert client.put(url, json={"smtp_host": "evil.test"}, headers=admin_headers).status_code == 422
    assert plugins.get_settings("email")["smtp_host"] == ""


def test_the_settings_form_asks_for_the_secret_again(client, login, make_agent):
    plugins = get_plugins()
    plugins.set_settings("email", {"smtp_host": "smtp.shop.example", "smtp_password": "s3cret-pass"})
    login(client, make_agent(role="admin"))
    page = client.get("/settings/plugins/email")
    assert page.status_code == 200 and b"s3cret-pass" not in page.data
    form = {"smtp_host": "evil.test", "smtp_port": "587", "smtp_password": ""}
    shown = client.post("/settings/plugins/email", data=form)
    assert shown.status_code == 200 and b"Enter this secret again" in shown.data
    assert plugins.get_settings("email")["smtp_host"] == "smtp.shop.example"
    saved = client.post("/settings/plugins/email", data={**form, "smtp_password": "typed-again"})
    assert saved.status_code == 302
    assert plugins.get_settings("email")["smtp_host"] == "evil.test"
