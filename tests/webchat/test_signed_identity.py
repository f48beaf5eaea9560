"""Signed storefront identities: a shop that signs its logged-in customer
(with the recipe docs/channels/webchat.md gives, run here as written) gets
the chat on that customer's verified profile; anything else is refused with
a clear error and never believed. The secret is the admin's to generate and
rotate, and stays hidden."""

import datetime as dt
import hashlib
import hmac
import json
import pathlib
import re
import subprocess

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import ContactIdentity, Profile, Ticket
from app.services.identities import resolve
from plugins.webchat.models import Conversation

from .conftest import SITE_KEY

DOC = pathlib.Path(__file__).parents[2] / "docs" / "channels" / "webchat.md"
SECRET = "s3cr3t-for-tests_0123456789abcdefghijkl"


def documented(language):
    """The code block of ``language`` in the doc's "Signed-in customers"
    section: the recipe a shop copies."""
    text = DOC.read_text()
    section = text[text.index("## 3. Signed-in customers") :]
    section = section[: section.index("\n## ", 1)]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def signed(webchat, clock):
    """The identity secret set, and the app clock at real time (the recipes
    read the real clock, as a shop's server does)."""
    webchat.set_settings("webchat", {"identity_secret": SECRET})
    clock.set(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return webchat


def start(client, identity, **extra):
    return client.post("/api/v1/webchat/conversations", json={"key": SITE_KEY, "identity": identity, **extra})


def say(client, started, text="Where is my order?"):
    r = client.post(
        f"/api/v1/webchat/conversations/{started['conversation_id']}/messages",
        headers={"X-Webchat-Token": started["token"]},
        json={"client_id": "m1", "text": text},
    )
    assert r.status_code == 201, r.get_json()
    return Ticket.get(Ticket.thread_key == started["conversation_id"])


def python_recipe():
    namespace = {}
    exec(compile(documented("python"), str(DOC), "exec"), namespace)  # the doc's code, as written
    return namespace["helpline_chat_identity"]


def test_the_documented_python_recipe_puts_the_chat_on_the_customers_profile(
    client, signed, fake_channel, login, make_agent
):
    jane = fake_channel.receive("About my order", email="jane@example.net", name="Jane Doe").ticket.profile
    identity = python_recipe()(SECRET, customer_id="8123", email="jane@example.net")
    started = start(client, identity, name="Mallory", email="someone-else@example.net")
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["signed_in"] is True
    ticket = say(client, started.get_json())
    assert ticket.profile_id == jane.id
    # The customer id is now Jane's verified identity: an id-only signature finds her too.
    assert Profile.get_by_id(jane.id).email == "jane@example.net"
    assert ("storefront", "8123", True) in [(i.source, i.external_id, i.verified) for i in jane.identities]
    again = start(client, python_recipe()(SECRET, customer_id="8123")).get_json()
    assert say(client, again, "Another question").profile_id == jane.id
    # The signed email replaced the typed one: the follow-up email goes to Jane.
    assert Conversation.get(Conversation.public_id == started.get_json()["conversation_id"]).visitor_email == (
        "jane@example.net"
    )
    assert not ContactIdentity.select().where(ContactIdentity.external_id == "someone-else@example.net").exists()
    login(client, make_agent())
    assert "Signed in on the storefront" in client.get(f"/t/{ticket.id}").get_data(as_text=True)


def test_the_documented_node_recipe_signs_an_email_only_customer(client, signed, fake_channel):
    jane = fake_channel.receive("Hello", email="jane@example.net", name="Jane Doe").ticket.profile
    program = (
        documented("js")
        + '\nconsole.log(JSON.stringify(helplineChatIdentity(process.argv[1], "", process.argv[2])));\n'
    )
    out = subprocess.run(
        ["node", "-e", program, SECRET, "jane@example.net"], capture_output=True, text=True, check=True, timeout=30
    )
    identity = json.loads(out.stdout)
    started = start(client, identity)
    assert started.status_code == 201, started.get_json()
    assert say(client, started.get_json()).profile_id == jane.id


def test_a_shopify_customer_id_finds_the_profile_with_their_orders(client, signed, app):
    signed.set_settings("webchat", {"customer_id_source": "shopify"})
    with app.app_context():
        shopper = resolve("shopify", "7001", name="Sam Shopper")
    started = start(client, python_recipe()(SECRET, customer_id="7001")).get_json()
    assert say(client, started).profile_id == shopper.id


def test_an_id_only_customer_who_types_an_email_keeps_it_as_a_claim(client, signed, fake_channel):
    jane = fake_channel.receive("Hi", email="jane@example.net").ticket.profile
    started = start(client, python_recipe()(SECRET, customer_id="9001"), email="jane@example.net").get_json()
    ticket = say(client, started)
    assert ticket.profile_id != jane.id
    claims = [(i.source, i.external_id, i.verified) for i in Profile.get_by_id(ticket.profile_id).identities]
    assert ("email", "jane@example.net", False) in claims and ("storefront", "9001", True) in claims


def refused(response, status, code):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["error"]["code"] == code, body
    return body


def test_bad_signatures_are_refused_never_believed(client, signed, fake_channel, clock):
    jane = fake_channel.receive("Hi", email="jane@example.net").ticket.profile
    good = python_recipe()(SECRET, customer_id="8123", email="mallory@example.net")
    # The visitor swaps in Jane's address but keeps Mallory's signature.
    refused(start(client, {**good, "email": "jane@example.net"}), 401, "identity_invalid")
    refused(start(client, {**good, "customer_id": "8124"}), 401, "identity_invalid")
    forged = python_recipe()("not-the-secret-but-long-enough-000000", customer_id="8123")
    refused(start(client, forged), 401, "identity_invalid")
    # Shifting a value across the separator changes the signed text's meaning: refused.
    refused(start(client, {**good, "customer_id": "8123|mallory@example.net", "email": ""}), 422, "invalid")
    # Unsigned claims are not an identity at all.
    refused(start(client, {"customer_id": "8123", "email": "jane@example.net"}), 422, "invalid")
    refused(start(client, {**good, "signature": "zz"}), 422, "invalid")
    refused(start(client, {**good, "customer_id": "", "email": ""}), 422, "invalid")
    # Too old, and too far ahead (beyond a little clock skew).
    clock.advance(seconds=3601)
    body = refused(start(client, good), 401, "identity_expired")
    assert "reload the page" in body["error"]["message"]
    clock.advance(seconds=-3601 - 301)
    refused(start(client, good), 401, "identity_expired")
    clock.advance(seconds=301)
    assert start(client, good).status_code == 201
    assert not Ticket.select().where(Ticket.profile == jane.id, Ticket.channel == "webchat").exists()


def test_a_signature_without_a_secret_set_is_refused(client, webchat, clock):
    identity = {"customer_id": "8123", "email": "", "timestamp": "1767603600", "signature": "a" * 64}
    refused(start(client, identity), 403, "identity_not_enabled")


def test_the_recipe_is_what_the_server_checks(signed):
    # The documented example text, byte for byte.
    from plugins.webchat.identity import message, signature

    assert message("8123", "jane@example.net", "1767603600") == "8123|jane@example.net|1767603600"
    assert message("", "jane@example.net", "1767603600") == "|jane@example.net|1767603600"
    assert message("8123", "", "1767603600") == "8123||1767603600"
    expected = hmac.new(SECRET.encode(), b"8123||1767603600", hashlib.sha256).hexdigest()
    assert signature(SECRET, "8123", "", "1767603600") == expected


def test_admins_generate_and_rotate_the_secret_which_stays_hidden(client, signed, login, make_agent):
    for role in ("support", "manager"):
        login(client, make_agent(role=role))
        assert client.get("/settings/webchat").status_code == 403
        assert client.post("/settings/webchat/identity-secret").status_code == 403
    plugins = signed
    assert plugins.get_settings("webchat")["identity_secret"] == SECRET
    login(client, make_agent(role="admin"))
    page = client.get("/settings/webchat")
    html = page.get_data(as_text=True)
    assert "A secret is set (hidden)." in html and SECRET not in html
    # The tag the snippet goes before is shown, not swallowed by the browser as markup.
    assert "just before &lt;/body&gt;:" in html and "</body>:" not in html
    assert plugins.public_settings("webchat")["identity_secret"] == "********"
    assert SECRET not in client.get("/settings/plugins/webchat").get_data(as_text=True)

    # Rotating without ticking the confirmation changes nothing.
    unconfirmed = client.post("/settings/webchat/identity-secret", headers={"Accept": "application/json"})
    assert unconfirmed.status_code == 422
    assert plugins.get_settings("webchat")["identity_secret"] == SECRET

    old = python_recipe()(SECRET, customer_id="8123")
    rotated = client.post("/settings/webchat/identity-secret", data={"confirm": "yes"})
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new = plugins.get_settings("webchat")["identity_secret"]
    assert new != SECRET and len(new) >= 32
    assert new in rotated.get_data(as_text=True)  # shown once...
    assert new not in client.get("/settings/webchat").get_data(as_text=True)  # ...and never again
    refused(start(client, old), 401, "identity_invalid")
    assert start(client, python_recipe()(new, customer_id="8123")).status_code == 201


def test_the_command_rotates_the_secret(app, signed):
    runner = CliRunner()
    obj = ScriptInfo(create_app=lambda: app)
    shown = runner.invoke(main, ["webchat", "identity-secret"], obj=obj)
    assert shown.exit_code == 0 and "A secret is set" in shown.output and SECRET not in shown.output
    rotated = runner.invoke(main, ["webchat", "identity-secret", "--rotate"], obj=obj)
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        assert app.extensions["helpline.plugins"].get_settings("webchat")["identity_secret"] == rotated.output.strip()
