"""Ingest: routing policies, idempotency (also under concurrency), the
customer-activity clock fields and events after commit."""

import pytest

from app.db import db
from app.models import Message, Profile, Ticket
from app.registry import Inbound, Sender
from app.services import ServiceError
from app.services.ingest import ChannelUnavailable, ingest
from app.services.tickets import close, snooze
from app.testing import FakeChannelPlugin


def test_first_message_creates_ticket_profile_and_message(app, fake_channel, clock):
    result = fake_channel.receive("My parcel is late", email="Ana@Example.net", name="Ana", subject="Late")
    assert result.outcome == "created"
    ticket = Ticket.get_by_id(result.ticket.id)
    assert ticket.status == "open" and ticket.channel == "fake" and ticket.subject == "Late"
    assert ticket.profile.email == "ana@example.net" and ticket.profile.name == "Ana"
    assert ticket.last_customer_message_at == clock.now()
    assert ticket.awaiting_customer_since is None
    assert ticket.last_message_preview == "My parcel is late"
    message = Message.get(Message.ticket == ticket)
    assert (message.direction, message.kind, message.author_type) == ("inbound", "message", "customer")
    assert message.html == "<p>My parcel is late</p>"


def test_sender_policy_appends_and_reopens_closed(app, fake_channel):
    first = fake_channel.receive("One", phone="+1 415 555 0101")
    second = fake_channel.receive("Two", phone="(415) 555-0101")
    assert second.outcome == "appended" and second.ticket.id == first.ticket.id
    assert Profile.select().count() == 1 and Profile.get().phone == "+14155550101"
    close(first.ticket)
    third = fake_channel.receive("Three", phone="+14155550101")
    assert third.outcome == "reopened" and third.ticket.id == first.ticket.id
    ticket = Ticket.get_by_id(first.ticket.id)
    assert ticket.status == "open" and ticket.reopen_count == 1 and ticket.closed_reason is None


def test_conversation_policy_never_reopens(app, register_plugin):
    chat = register_plugin(FakeChannelPlugin("chat", reopens_closed=False, per_conversation=True), "chat")
    a = chat.receive("Hi", email="same@example.net", conversation="c1")
    b = chat.receive("Hi again, new chat", email="same@example.net", conversation="c2")
    assert a.ticket.id != b.ticket.id, "every conversation is its own ticket, even from the same person"
    assert chat.receive("more", email="same@example.net", conversation="c1").ticket.id == a.ticket.id
    close(a.ticket)
    after = chat.receive("Back again", email="same@example.net", conversation="c1")
    assert after.outcome == "created" and after.ticket.id not in (a.ticket.id, b.ticket.id)
    assert Ticket.get_by_id(a.ticket.id).status == "closed"


def test_thread_policy_by_related_ids_and_hint(app, register_plugin):
    mail = register_plugin(FakeChannelPlugin("mail", per_conversation=True), "mail")
    root = mail.receive("Question", email="x@example.net", external_id="<root@x>", conversation="<root@x>")
    other = mail.receive("Another thread", email="x@example.net", external_id="<other@x>", conversation="<other@x>")
    assert root.ticket.id != other.ticket.id
    reply = mail.receive(
        "Re", email="x@example.net", external_id="<r1@x>", conversation="<r1@x>", related_external_ids=["<root@x>"]
    )
    assert reply.ticket.id == root.ticket.id
    close(root.ticket)
    hinted = mail.receive(
        "token reply", email="x@example.net", external_id="<r2@x>", conversation="<r2@x>", ticket_hint=root.ticket.id
    )
    assert hinted.outcome == "reopened" and hinted.ticket.id == root.ticket.id


def test_snoozed_ticket_wakes_on_customer_message(app, fake_channel, clock, hook_recorder):
    import datetime as dt

    first = fake_channel.receive("Hello")
    snooze(first.ticket, clock.now() + dt.timedelta(days=1))
    hook_recorder.clear()
    fake_channel.receive("Any news?")
    ticket = Ticket.get_by_id(first.ticket.id)
    assert ticket.status == "open" and ticket.snoozed_until is None
    change = hook_recorder.calls("helpline_on_ticket_status_changed")[0]
    assert (change["old_status"], change["new_status"], change["reason"]) == ("snoozed", "open", "customer_message")


def test_duplicate_external_id_returns_stored_message(app, fake_channel, hook_recorder):
    first = fake_channel.receive("Once", external_id="ext-1")
    again = fake_channel.receive("Once", external_id="ext-1")
    assert again.duplicate and again.message.id == first.message.id
    assert Message.select().count() == 1
    assert len(hook_recorder.calls("helpline_on_message_received")) == 1


def test_a_message_stored_after_the_callers_own_check_is_still_a_duplicate(app, fake_channel, hook_recorder):
    # A channel that read "not stored" itself passes unseen=True, and ingest
    # skips that read; a copy that arrived in between must still not be stored
    # twice, nor fire its events again.
    first = fake_channel.receive("Once", email="ana@example.net", external_id="ext-between")
    again = ingest(fake_channel.inbound("Once", email="ana@example.net", external_id="ext-between"), unseen=True)
    assert again.duplicate and again.message.id == first.message.id
    assert Message.select().count() == 1 and Ticket.select().count() == 1
    assert len(hook_recorder.calls("helpline_on_message_received")) == 1


def test_ingest_is_idempotent_under_eight_threads(app, fake_channel, in_threads):
    outcomes = []
    errors = in_threads(
        lambda n: outcomes.append(
            fake_channel.receive("Same message", email="race@example.net", external_id="race-1").outcome
        )
    )
    assert not errors
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 7
    assert Message.select().count() == 1 and Ticket.select().count() == 1 and Profile.select().count() == 1


def test_distinct_messages_from_one_new_sender_in_parallel_share_one_ticket(app, fake_channel, in_threads):
    assert not in_threads(lambda n: fake_channel.receive(f"part {n}", phone="+14155550199", external_id=f"part-{n}"))
    assert Message.select().count() == 8
    assert Ticket.select().count() == 1 and Profile.select().count() == 1


def test_events_fire_after_commit_only(app, fake_channel, hook_recorder):
    with pytest.raises(RuntimeError):
        with db.atomic():
            fake_channel.receive("rolled back")
            assert hook_recorder.calls("helpline_on_ticket_created") == []
            raise RuntimeError("abort")
    assert Ticket.select().count() == 0
    assert hook_recorder.records == []
    fake_channel.receive("kept")
    assert hook_recorder.names()[:2] == ["helpline_on_ticket_created", "helpline_on_message_received"]


def test_unknown_or_disabled_channel_is_refused(app, fake_channel):
    with pytest.raises(ChannelUnavailable):
        ingest(Inbound(channel="pigeon", external_id="1", sender=Sender(email="a@example.net")))
    app.extensions["helpline.plugins"].set_enabled("fake-channel", False)
    with pytest.raises(ChannelUnavailable):
        fake_channel.receive("hello")


def test_bad_input_gets_clear_errors(app, fake_channel):
    with pytest.raises(ServiceError) as err:
        fake_channel.receive("x" * (app.config["MAX_MESSAGE_TEXT"] + 1))
    assert err.value.field == "text"
    with pytest.raises(ServiceError) as err:
        fake_channel.receive("hi", phone="not a phone")
    assert err.value.code == "invalid_phone"
    assert Message.select().count() == 0


def test_customer_html_is_sanitized(app, fake_channel):
    result = fake_channel.receive("hi", html='<p onclick="x()">Hi<script>alert(1)</script></p>')
    assert Message.get_by_id(result.message.id).html == "<p>Hi</p>"


def test_ingest_takes_a_fixed_number_of_queries(app, fake_channel):
    """Pinned so a change that adds a query per message is a visible
    decision (ingest is the inbound hot path; see docs/benchmarks.md). The
    reports plugin's after-commit fact sync runs inline in tests (immediate
    queue) and is a task of its own in production, so it is left out here."""
    from playhouse.test_utils import count_queries

    from app.db import is_postgres
    from app.plugins import get_plugins

    get_plugins().set_enabled("reports", False)

    fake_channel.receive("warm-up", email="first@example.net")  # plugin state and settings are cached after this
    with count_queries() as new_sender:
        first = fake_channel.receive("Hi", email="ana@example.net")
    with count_queries() as known_sender:
        fake_channel.receive("Again", email="ana@example.net")
    with count_queries() as redelivery:
        again = fake_channel.receive("Hi", email="ana@example.net", external_id=first.message.external_id)
    assert again.message.id == first.message.id
    # PostgreSQL takes two advisory locks (message id, thread) that SQLite's write lock makes unneeded,
    # and repeats the re-delivery check under them.
    extra = 3 if is_postgres() else 0
    # A new ticket asks once who opted in to new-ticket notifications (app.services.notifications).
    # A re-delivery is found before any lock: a narrow indexed read, then the stored message and ticket.
    assert (new_sender.count, known_sender.count, redelivery.count) == (16 + extra, 8 + extra, 4)


def test_a_customer_created_after_the_sender_lookup_gets_the_message(app, fake_channel):
    """The sender is looked up before the write lock (``prepare_ingest``):
    when another writer creates the same customer in between, the message
    goes to that customer, not to a second profile with the same address."""
    from app.db import write_transaction
    from app.services.identities import resolve
    from app.services.ingest import prepare

    inbound = fake_channel.inbound("Hi", email="late@example.net")
    prepared = prepare(inbound)
    assert prepared.sender == (None, None)
    with write_transaction():
        other = resolve("fake", email="late@example.net", name="Late")

    result = ingest(inbound, prepared=prepared)
    assert result.outcome == "created"
    assert Ticket.get_by_id(result.ticket.id).profile_id == other.id
    assert Profile.select().where(Profile.email == "late@example.net").count() == 1


def test_a_customer_merged_after_the_sender_lookup_gets_the_new_ticket(app, fake_channel):
    """A profile found before the lock and merged into another customer
    before the write: the new ticket belongs to the customer it was merged
    into (the stale profile fails its foreign key and ingest looks again)."""
    from app.db import write_transaction
    from app.services.identities import merge, resolve
    from app.services.ingest import prepare

    with write_transaction():
        pat = resolve("fake", email="pat@example.net", name="Pat")
        kept = resolve("fake", email="pat.work@example.net", name="Pat")
    inbound = fake_channel.inbound("Where is my order?", email="pat@example.net")
    prepared = prepare(inbound)
    assert prepared.sender[0].id == pat.id
    merge(pat, kept)

    result = ingest(inbound, prepared=prepared)
    assert result.outcome == "created"
    assert Ticket.get_by_id(result.ticket.id).profile_id == kept.id
    assert not Profile.select().where(Profile.id == pat.id).exists()
