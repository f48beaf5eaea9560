"""Customer identities: a sender is found by their id on the channel before
email and phone, one profile is made also under concurrency, an address
typed into a form never attaches anyone to the customer who owns it, and
an agent's verification links or merges."""

import pytest
from playhouse.test_utils import assert_query_count

from app.hookspecs import hookimpl
from app.models import ContactIdentity, Order, Profile, Ticket
from app.services import ServiceError, identities
from app.services.identities import IdentityTaken
from app.testing import FakeChannelPlugin, factories


class ProfileHooks:
    def __init__(self):
        self.changes = []

    @hookimpl
    def helpline_on_profile_updated(self, profile, changes):
        self.changes.append((profile.id, changes))


@pytest.fixture
def chat(register_plugin):
    """An id-keyed channel, like a chat app: a ticket per conversation, the
    sender known by the app's user id (``sender_id``)."""
    return register_plugin(FakeChannelPlugin("chat", reopens_closed=False, per_conversation=True), "chat")


@pytest.fixture
def profile_hooks(register_plugin):
    return register_plugin(ProfileHooks(), "profile-hooks")


def claims(profile):
    return [(i.source, i.external_id, i.verified) for i in identities.of_profile(profile)]


def test_two_messages_from_one_id_keyed_sender_make_one_profile(app, chat):
    first = chat.receive("Hi", sender_id="u-1", name="Ana", conversation="c1")
    second = chat.receive("Me again", sender_id="u-1", conversation="c2")
    assert first.ticket.id != second.ticket.id
    assert first.ticket.profile_id == second.ticket.profile_id
    assert Profile.select().count() == 1
    assert identities.find_profile("chat", "u-1").id == first.ticket.profile_id
    assert claims(first.ticket.profile) == [("chat", "u-1", True)]


def test_the_same_id_on_another_channel_is_someone_else(app, chat, register_plugin):
    other = register_plugin(FakeChannelPlugin("other", per_conversation=True), "other")
    a = chat.receive("Hi", sender_id="u-1", conversation="c1")
    b = other.receive("Hi", sender_id="u-1", conversation="c1")
    assert a.ticket.profile_id != b.ticket.profile_id


def test_eight_parallel_messages_from_one_new_sender_make_one_profile(app, chat, in_threads):
    errors = in_threads(
        lambda n: chat.receive(f"part {n}", sender_id="visitor-8", conversation=f"conv-{n}", external_id=f"p-{n}")
    )
    assert not errors
    assert Ticket.select().count() == 8
    assert Profile.select().count() == 1
    assert ContactIdentity.select().where(ContactIdentity.source == "chat").count() == 1


def test_a_verified_email_attaches_a_new_id_to_the_existing_customer(app, chat):
    jane = factories.profile(name="Jane", email="jane@example.net")
    first = chat.receive("Hi", sender_id="jane-chat", email="Jane@Example.net", conversation="c1")
    assert first.ticket.profile_id == jane.id
    later = chat.receive("Again, no email this time", sender_id="jane-chat", conversation="c2")
    assert later.ticket.profile_id == jane.id
    assert ("chat", "jane-chat", True) in claims(jane)


def test_the_id_comes_before_the_email(app, chat):
    jane = factories.profile(name="Jane", email="jane@example.net")
    bob = chat.receive("Hi", sender_id="bob", conversation="c1").ticket.profile
    again = chat.receive("Hi", sender_id="bob", email="jane@example.net", conversation="c2")
    assert again.ticket.profile_id == bob.id
    assert Profile.get_by_id(bob.id).email is None, "another customer's address is never moved"
    assert identities.find_profile("email", "jane@example.net").id == jane.id


def test_a_typed_email_never_attaches_to_the_customer_who_owns_it(app, chat, fake_channel):
    jane = fake_channel.receive("Where is order 1001?", email="jane@example.net", name="Jane").ticket.profile
    Order.create(profile=jane, external_id="1001")
    impostor = chat.receive(
        "Show me my orders", sender_id="mallory", email="jane@example.net", verified_contact=False, conversation="c1"
    ).ticket.profile
    assert impostor.id != jane.id and impostor.email is None
    assert claims(impostor) == [("chat", "mallory", True), ("email", "jane@example.net", False)]
    assert not Order.select().where(Order.profile == impostor.id).exists()
    # A second visitor may claim the same address: claims are not unique.
    eve = chat.receive(
        "Me too", sender_id="eve", email="jane@example.net", verified_contact=False, conversation="c2"
    ).ticket.profile
    assert ("email", "jane@example.net", False) in claims(eve)
    # Jane's own mail still goes to Jane.
    assert fake_channel.receive("Any news?", email="jane@example.net").ticket.profile_id == jane.id
    assert identities.find_profile("email", "jane@example.net").id == jane.id


def test_a_typed_email_claims_nothing_for_later(app, chat, fake_channel):
    visitor = chat.receive(
        "Hi", sender_id="v1", email="new@example.net", verified_contact=False, conversation="c1"
    ).ticket.profile
    owner = fake_channel.receive("Hello from my mailbox", email="new@example.net").ticket.profile
    assert owner.id != visitor.id and owner.email == "new@example.net"
    assert ("email", "new@example.net", False) in claims(visitor)


def test_verify_makes_an_unowned_address_the_customers(app, chat, fake_channel, make_agent, profile_hooks):
    visitor = chat.receive(
        "Hi", sender_id="v1", email="new@example.net", verified_contact=False, conversation="c1"
    ).ticket.profile
    claim = ContactIdentity.get((ContactIdentity.profile == visitor.id) & (ContactIdentity.source == "email"))
    agent = make_agent()
    verified = identities.verify(claim, actor=agent)
    assert verified.id == visitor.id and verified.email == "new@example.net"
    assert ContactIdentity.get_by_id(claim.id).verified
    assert fake_channel.receive("By email now", email="new@example.net").ticket.profile_id == visitor.id
    profile_id, changes = profile_hooks.changes[-1]
    assert profile_id == visitor.id and changes["email"] == (None, "new@example.net")
    before, after = changes["identities"]
    assert {"source": "email", "external_id": "new@example.net", "verified": False} in before
    assert {"source": "email", "external_id": "new@example.net", "verified": True} in after


def test_verify_merges_the_visitor_into_the_existing_customer(app, chat, fake_channel, profile_hooks):
    jane = fake_channel.receive("Hello", email="jane@example.net", name="Jane").ticket.profile
    chat_ticket = chat.receive(
        "It is me, Jane", sender_id="jane-browser", email="jane@example.net", verified_contact=False, conversation="c1"
    ).ticket
    visitor_id = chat_ticket.profile_id
    claim = ContactIdentity.get((ContactIdentity.profile == visitor_id) & (ContactIdentity.source == "email"))
    merged = identities.verify(claim)
    assert merged.id == jane.id
    assert Ticket.get_by_id(chat_ticket.id).profile_id == jane.id
    assert not Profile.select().where(Profile.id == visitor_id).exists()
    assert claims(jane) == [("chat", "jane-browser", True), ("email", "jane@example.net", True)]
    # The browser is Jane's from now on.
    assert chat.receive("Back", sender_id="jane-browser", conversation="c2").ticket.profile_id == jane.id
    profile_id, changes = profile_hooks.changes[-1]
    assert profile_id == jane.id and changes["merged_profile_ids"] == ([], [visitor_id])
    assert changes["identities"][1] == [
        {"source": "chat", "external_id": "jane-browser", "verified": True},
        {"source": "email", "external_id": "jane@example.net", "verified": True},
    ]


def test_merge_fills_what_the_target_lacks(app):
    source = factories.profile(name="Ana", email=None, phone="+14155550100", sms_consent="transactional")
    target = factories.profile(name="", email="ana@example.net")
    merged = identities.merge(source, target)
    assert (merged.name, merged.email, merged.phone, merged.sms_consent) == (
        "Ana",
        "ana@example.net",
        "+14155550100",
        "transactional",
    )
    assert identities.find_profile("phone", "+1 415 555 0100").id == target.id
    with pytest.raises(ServiceError):
        identities.merge(target, target)


def test_link_is_idempotent_and_refuses_another_customers_identity(app):
    a, b = factories.profile(), factories.profile()
    first = identities.link(a, "shopify", "42")
    assert identities.link(a, "shopify", " 42 ").id == first.id
    with pytest.raises(IdentityTaken) as taken:
        identities.link(b, "shopify", "42")
    assert taken.value.status == 409
    claim = identities.link(b, "email", "x@example.net", verified=False)
    assert identities.link(b, "email", "X@Example.net", verified=False).id == claim.id
    upgraded = identities.link(b, "email", "x@example.net")
    assert upgraded.id == claim.id and upgraded.verified
    # Several profiles may claim what nobody verified; a verified owner keeps theirs.
    assert not identities.link(a, "email", "x@example.net", verified=False).verified
    assert identities.link(b, "email", "x@example.net", verified=False).verified
    for source, value in (("", "1"), ("s" * 65, "1"), ("shopify", ""), ("shopify", "x" * 256), ("shopify", "a\x00b")):
        with pytest.raises(ServiceError) as bad:
            identities.link(a, source, value)
        assert bad.value.code == "invalid_identity"


def test_resolve_serves_providers_too(app):
    ann = identities.resolve("shopify", "c-1", email="Ann@Example.net", name="Ann")
    assert identities.resolve("shopify", "c-1").id == ann.id
    assert identities.resolve("shopify", "c-2", email="ann@example.net").id == ann.id, "verified email matches"
    assert identities.find_profile("shopify", "c-2").id == ann.id
    assert identities.resolve("import", phone="+14155550111").id != ann.id
    with pytest.raises(ServiceError):
        identities.resolve("shopify", "c-3", phone="not a phone")
    with pytest.raises(ServiceError) as long:
        identities.resolve("shopify", "c-3", email="a" * 250 + "@x.net")
    assert long.value.field == "email"


def test_a_later_message_fills_the_name_and_tells_plugins(app, chat, profile_hooks):
    chat.receive("Hi", sender_id="u1", conversation="c1")
    assert profile_hooks.changes == []
    profile = chat.receive("Hi, I am Ana", sender_id="u1", name="Ana", conversation="c2").ticket.profile
    assert profile.name == "Ana"
    assert profile_hooks.changes == [(profile.id, {"name": ("", "Ana")})]
    profile_hooks.changes.clear()
    chat.receive("My email", sender_id="u1", email="ana@example.net", verified_contact=False, conversation="c3")
    ((_id, changes),) = profile_hooks.changes
    assert changes == {
        "identities": (
            [{"source": "chat", "external_id": "u1", "verified": True}],
            [
                {"source": "chat", "external_id": "u1", "verified": True},
                {"source": "email", "external_id": "ana@example.net", "verified": False},
            ],
        )
    }


def test_a_typed_email_does_not_lead_into_the_owners_thread(app, fake_channel):
    # A channel keyed by sender (the default thread_key) never keys a thread
    # by an unverified address.
    jane = fake_channel.receive("Hi", email="jane@example.net").ticket
    other = fake_channel.receive("I am Jane", email="jane@example.net", verified_contact=False).ticket
    assert other.id != jane.id and other.profile_id != jane.profile_id
    again = fake_channel.receive("Hi again", email="jane@example.net").ticket
    assert again.id == jane.id


def test_a_known_sender_costs_one_indexed_lookup_per_thing_they_tell(app):
    identities.resolve("chat", "u-1", email="a@example.net", name="A")
    with assert_query_count(1):
        assert identities.resolve("chat", "u-1", email="a@example.net", name="A").name == "A"
    with assert_query_count(1):
        identities.resolve("mail", email="A@example.net")
    other = factories.profile(email="b@example.net")
    with assert_query_count(3):  # the chat id; whose the new email is: identities, then profiles' own column
        identities.resolve("chat", "u-1", email="b@example.net")
    assert identities.find_profile("email", "b@example.net").id == other.id
