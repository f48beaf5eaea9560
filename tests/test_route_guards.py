"""Every route of the app with every first-party plugin loaded either goes
through the one login and permission check (``require``) or is on the short
list below, each with why it may answer without a login. A new route that
forgets the check fails here, before any role test is written for it."""

import pytest

from app.models import Message

# endpoint -> what protects it instead of a login
UNGUARDED = {
    "web.index": "redirects to the inbox or the login form",
    "web.login": "the login form (CSRF token, rate limit)",
    "web.login_code": "the second step of a login (CSRF token, the pending login in the session)",
    "web.logout": "ends the session it is sent with (CSRF token)",
    "web.forgot_password": "sends a reset link to the address's owner only (CSRF token, rate limit)",
    "web.reset_password": "the signed, expiring one-time token in the link",
    "api-docs.openapi_json": "the API's public description",
    "api_docs.page": "the API's public description",
    "api_docs.script": "the API's public description",
    "email.inbound": "HMAC signature with the inbound secret",
    "sms.inbound": "Twilio's request signature",
    "sms.status": "Twilio's request signature",
    "sms.short_link": "a public short link in an SMS (redirects, counts the click)",
    "shopify.webhook": "Shopify's HMAC signature",
    "jsonhook.inbound": "the example plugin's shared-secret signature",
    "webchat.widget_js": "the widget script storefronts include",
    "webchat.demo": "a storefront page to try the widget",
    "webchat_stream.stream": "the visitor's signed widget token",
}


@pytest.fixture
def helpline_config():
    return {"WTF_CSRF_ENABLED": True}


def test_every_route_requires_a_permission_or_says_why_not(app):
    unguarded = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not rule.endpoint.endswith(".static")
        and getattr(app.view_functions[rule.endpoint], "required_permission", None) is None
    }
    assert unguarded == set(UNGUARDED)


@pytest.mark.parametrize("path", ["/login", "/login/code", "/logout", "/password/forgot", "/password/reset/some-token"])
def test_the_unguarded_forms_refuse_a_post_without_its_csrf_token(client, login, make_agent, path):
    agent = make_agent()
    login(client, agent)
    answer = client.post(path, data={"email": agent.email, "password": "secret", "code": "123456"})
    assert answer.status_code == 400 and b"Form expired" in answer.data
    assert client.get("/inbox/mine").status_code == 200  # still logged in: the logout was refused too


@pytest.mark.parametrize(
    "path", ["/email/inbound", "/sms/twilio/inbound", "/sms/twilio/status", "/shopify/webhooks", "/jsonhook/inbound"]
)
def test_the_webhooks_refuse_an_unsigned_request_and_store_nothing(app, client, path):
    plugins = app.extensions["helpline.plugins"]
    plugins.set_enabled("jsonhook", True)  # the example plugin starts off
    # Configured, so that what refuses is the missing signature.
    plugins.set_settings("email", {"inbound_secret": "a-shared-secret-of-32-characters"})
    plugins.set_settings("sms", {"auth_token": "a-shared-secret-of-32-characters"})
    plugins.set_settings("shopify", {"webhook_secret": "a-shared-secret-of-32-characters"})
    plugins.set_settings("jsonhook", {"secret": "a-shared-secret-of-32-characters"})
    answer = client.post(path, data=b"From: a@b.example\r\n\r\nhello", content_type="message/rfc822")
    assert answer.status_code in (400, 401, 403), answer.status_code
    answer = client.post(path, data={"From": "+15551234567", "Body": "hello", "MessageSid": "SM1"})
    assert answer.status_code in (400, 401, 403), answer.status_code
    assert Message.select().count() == 0
