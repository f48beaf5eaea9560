"""Who a web chat visitor is: the visitor id their browser keeps makes them
one customer across chats (also when eight chats write at once), and an
email they type is theirs only as an unverified claim, shown to agents as
such, until an agent verifies it (which may merge them into the customer
who owns it)."""

from app.models import ContactIdentity, Order, Profile, Ticket
from plugins.webchat import conversations as convs

from .conftest import SITE_KEY


def chat(text, visitor_id, name="", email=None, client_id="m1"):
    conversation, _token = convs.start(SITE_KEY, name=name, email=email, visitor_id=visitor_id)
    message, _conversation = convs.post_message(conversation, client_id, text)
    return Ticket.get_by_id(message.ticket_id)


def test_one_browser_is_one_customer_across_chats(webchat):
    first = chat("Hi", "browser-0001", name="Ada")
    second = chat("Hello again", "browser-0001")
    stranger = chat("Hi", "browser-0002", name="Ada")
    assert first.id != second.id, "every chat is its own ticket"
    assert first.profile_id == second.profile_id
    assert stranger.profile_id != first.profile_id
    assert Profile.select().count() == 2


def test_eight_chats_from_one_browser_at_once_make_one_customer(app, webchat, in_threads):
    assert not in_threads(lambda n: chat(f"chat {n}", "browser-busy-1", client_id=f"m{n}"))
    assert Ticket.select().where(Ticket.channel == "webchat").count() == 8
    assert Profile.select().count() == 1


def test_a_typed_email_does_not_open_another_customers_profile(app, webchat, client, login, make_agent, fake_channel):
    jane = fake_channel.receive("About my order", email="jane@example.net", name="Jane Doe").ticket.profile
    Order.create(profile=jane, external_id="1001")
    ticket = chat("Show me my orders", "mallory-browser", name="Jane", email="Jane@Example.net")
    assert ticket.profile_id != jane.id
    visitor = Profile.get_by_id(ticket.profile_id)
    assert visitor.email is None

    agent = make_agent()
    login(client, agent)
    body = client.get(f"/api/v1/profiles/{visitor.id}").get_json()
    assert {"source": "email", "external_id": "jane@example.net", "verified": False} in [
        {k: i[k] for k in ("source", "external_id", "verified")} for i in body["identities"]
    ]
    assert body["email"] is None
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "jane@example.net" in page and "(unverified)" in page
    assert "Signed in on the storefront" not in page  # only a shop's signature says so
    # The visitor id lets its holder chat as that visitor: kept as a digest, never shown.
    assert ("webchat", convs.visitor_identity("mallory-browser"), True) in [
        (i["source"], i["external_id"], i["verified"]) for i in body["identities"]
    ]
    assert "mallory-browser" not in page and "mallory-browser" not in str(body)
    assert "Jane Doe has this address" in page and "Verify and merge into Jane Doe" in page
    assert "1001" not in page


def test_an_agent_verifies_and_merges_into_the_customer(app, webchat, client, login, make_agent, fake_channel):
    jane = fake_channel.receive("About my order", email="jane@example.net", name="Jane Doe").ticket.profile
    ticket = chat("It is me, from my phone", "jane-phone-browser", email="jane@example.net")
    claim = ContactIdentity.get((ContactIdentity.profile == ticket.profile_id) & (ContactIdentity.source == "email"))
    analyst = make_agent(role="analyst")
    login(client, analyst)
    assert client.post(f"/t/{ticket.id}/identities/{claim.id}/verify").status_code == 403
    login(client, make_agent())
    answer = client.post(f"/t/{ticket.id}/identities/{claim.id}/verify", follow_redirects=True)
    assert answer.status_code == 200
    assert "this conversation now belongs to Jane Doe" in answer.get_data(as_text=True)
    assert Ticket.get_by_id(ticket.id).profile_id == jane.id
    # The browser is Jane's now: her next chat goes straight to her.
    assert chat("Thanks!", "jane-phone-browser").profile_id == jane.id


def test_an_agent_verifies_an_address_nobody_has(app, webchat, client, login, make_agent):
    ticket = chat("Hi", "new-browser", email="new@example.net")
    claim = ContactIdentity.get((ContactIdentity.profile == ticket.profile_id) & (ContactIdentity.source == "email"))
    login(client, make_agent())
    page = client.get(f"/t/{ticket.id}").get_data(as_text=True)
    assert "Mark verified" in page
    answer = client.post(
        f"/t/{ticket.id}/identities/{claim.id}/verify", headers={"Accept": "application/json"}
    ).get_json()
    assert answer["ok"] and answer["profile_id"] == ticket.profile_id
    assert Profile.get_by_id(ticket.profile_id).email == "new@example.net"
    assert client.post(f"/t/{ticket.id}/identities/999999/verify").status_code == 404
