"""The profile resource lists identities with ``verified``; the verify
operation links an unverified one, or merges into the customer who has it."""

from app.demo import seed
from app.models import ContactIdentity, Profile, Ticket
from app.services import identities


def claim_on_new_profile(fake_channel, email, sender):
    """A customer of an id-keyed channel who typed ``email`` (unverified)."""
    ticket = fake_channel.receive("Hi", sender_id=sender, email=email, verified_contact=False).ticket
    claim = ContactIdentity.get((ContactIdentity.profile == ticket.profile_id) & (ContactIdentity.source == "email"))
    return ticket, claim


def test_the_profile_lists_its_identities(client, as_role, fake_channel, ticket):
    _, headers = as_role("support")
    identities.link(ticket.profile, "shopify", "cust-9")
    body = client.get(f"/api/v1/profiles/{ticket.profile_id}", headers=headers).get_json()
    listed = [(i["source"], i["external_id"], i["verified"]) for i in body["identities"]]
    assert listed == [("email", "ana@example.net", True), ("shopify", "cust-9", True)]
    assert all(isinstance(i["id"], int) and i["created_at"].endswith("+00:00") for i in body["identities"])
    assert "external_ids" not in body

    chat_ticket, _claim = claim_on_new_profile(fake_channel, "ana@example.net", "visitor-1")
    body = client.get(f"/api/v1/profiles/{chat_ticket.profile_id}", headers=headers).get_json()
    assert body["email"] is None
    assert [(i["source"], i["external_id"], i["verified"]) for i in body["identities"]] == [
        ("fake", "visitor-1", True),
        ("email", "ana@example.net", False),
    ]


def test_verify_merges_into_the_customer_who_has_the_address(client, as_role, fake_channel, ticket):
    _, headers = as_role("support")
    chat_ticket, claim = claim_on_new_profile(fake_channel, "ana@example.net", "visitor-2")
    answer = client.post(f"/api/v1/profiles/{chat_ticket.profile_id}/identities/{claim.id}/verify", headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["id"] == ticket.profile_id and body["ticket_count"] == 2
    assert ("fake", "visitor-2", True) in [(i["source"], i["external_id"], i["verified"]) for i in body["identities"]]
    assert Ticket.get_by_id(chat_ticket.id).profile_id == ticket.profile_id
    gone = client.get(f"/api/v1/profiles/{chat_ticket.profile_id}", headers=headers)
    assert gone.status_code == 404


def test_verify_an_address_nobody_has_and_bad_targets(client, as_role, fake_channel, ticket):
    _, headers = as_role("support")
    chat_ticket, claim = claim_on_new_profile(fake_channel, "new@example.net", "visitor-3")
    url = f"/api/v1/profiles/{chat_ticket.profile_id}/identities/{claim.id}/verify"
    body = client.post(url, headers=headers).get_json()
    assert body["id"] == chat_ticket.profile_id and body["email"] == "new@example.net"
    assert client.post(url, headers=headers).status_code == 200, "verifying twice changes nothing"
    other = client.post(f"/api/v1/profiles/{ticket.profile_id}/identities/{claim.id}/verify", headers=headers)
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
    assert Profile.get_by_id(ticket.profile_id).email == "ana@example.net"


def test_the_demo_customers_addresses_are_verified_identities(client, as_role, clock):
    # `helpline run` seeds these customers; docs/api.md's profile example
    # lists a customer's addresses among their identities.
    seed(tickets=6)
    _, headers = as_role("support")
    ana = Profile.get(Profile.email == "ana@example.net")
    body = client.get(f"/api/v1/profiles/{ana.id}", headers=headers).get_json()
    assert (body["email"], body["phone"]) == ("ana@example.net", "+34612345678")
    listed = [(i["source"], i["external_id"], i["verified"]) for i in body["identities"]]
    assert sorted(listed) == [("email", "ana@example.net", True), ("phone", "+34612345678", True)]
    assert body["ticket_count"] >= 1  # her demo tickets found her by those identities
    assert Profile.select().where(Profile.email == "ana@example.net").count() == 1
