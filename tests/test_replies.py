"""Replies, notes and notices; refusals; the outbox with retries; the
first-response and auto-close clock fields."""

import pytest

from app.models import Message, Outbox, Ticket
from app.registry import DeliveryError
from app.services import ServiceError
from app.services.messages import ReplyRefused, add_note, add_notice, reply, thread
from app.services.outbox import retry_due
from app.services.tickets import close, reopen


def fresh(ticket):
    return Ticket.get_by_id(ticket.id)


def test_reply_is_delivered_and_recorded(app, fake_channel, make_agent, clock, hook_recorder):
    ticket = fake_channel.receive("Where is it?", email="c@example.net").ticket
    agent = make_agent()
    clock.advance(minutes=7)
    message = reply(ticket, agent, "On its way!")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "sent" and stored.external_id == "fake-out-1"
    assert fake_channel.sent[0].to_email == "c@example.net" and fake_channel.sent[0].text == "On its way!"
    assert fresh(ticket).first_response_at == clock.now()
    assert "helpline_on_message_sent" in hook_recorder.names()


def test_notes_are_never_delivered(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    mentioned = make_agent(name="Maya Manager", email="maya@example.com", role="manager")
    note = add_note(ticket, make_agent(), "Refund approved, @maya please check")
    assert fake_channel.sent == []
    stored = Message.get_by_id(note.id)
    assert stored.kind == "note" and stored.delivery_state is None
    assert stored.meta["mentions"] == [mentioned.id]
    assert not Outbox.select().exists()
    assert fresh(ticket).first_response_at is None


def test_reply_refused_when_customer_never_wrote(app, fake_channel, make_agent):
    from app.testing import factories

    ticket = Ticket.create(channel="fake", thread_key="k", profile=factories.profile())
    with pytest.raises(ReplyRefused) as refused:
        reply(ticket, make_agent(), "Hello out of the blue")
    assert refused.value.code == "customer_must_write_first"


def test_channel_refusal_reaches_the_agent(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    fake_channel.refuse_with("no_consent", "This customer has not agreed to receive SMS.")
    with pytest.raises(ReplyRefused) as refused:
        reply(ticket, make_agent(), "Hello")
    assert refused.value.status == 409
    assert str(refused.value) == "This customer has not agreed to receive SMS."
    assert not Message.select().where(Message.direction == "outbound").exists()


def test_policy_plugin_can_refuse_first(app, fake_channel, make_agent, register_plugin):
    from app.hookspecs import hookimpl
    from app.registry import Refusal

    class Blocklist:
        @hookimpl
        def helpline_can_reply(self, ticket, channel):
            if ticket.profile.email.endswith("@blocked.example"):
                return Refusal("not_authorized", "The merchant may not message this customer.")

    register_plugin(Blocklist(), "blocklist")
    ok = fake_channel.receive("Hi", email="fine@example.net").ticket
    blocked = fake_channel.receive("Hi", email="who@blocked.example").ticket
    reply(ok, make_agent(), "Sure")
    with pytest.raises(ReplyRefused) as refused:
        reply(blocked, make_agent(), "Sure")
    assert refused.value.code == "not_authorized"


def test_empty_and_oversized_replies_are_refused(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    with pytest.raises(ServiceError) as err:
        reply(ticket, make_agent(), "   ")
    assert err.value.code == "empty"
    with pytest.raises(ServiceError) as err:
        reply(ticket, make_agent(), "x" * (app.config["MAX_MESSAGE_TEXT"] + 1))
    assert err.value.code == "too_large"


def test_failed_delivery_retries_with_backoff_then_succeeds(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    fake_channel.fail_next = [DeliveryError("provider said 500")]
    message = reply(ticket, make_agent(), "Hello")
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "queued" and stored.delivery_error == "provider said 500"
    assert retry_due() == 0, "not before the backoff has passed"
    clock.advance(seconds=app.config["OUTBOX_BACKOFF_SECONDS"] + 1)
    assert retry_due() == 1
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "sent" and stored.attempts == 2 and stored.delivery_error is None
    assert len(fake_channel.sent) == 1


def test_delivery_gives_up_after_max_attempts(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    fake_channel.fail_next = [RuntimeError("boom")] * 10
    message = reply(ticket, make_agent(), "Hello")
    for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
        clock.advance(hours=6)
        retry_due()
    stored = Message.get_by_id(message.id)
    assert stored.delivery_state == "failed" and "boom" in stored.delivery_error
    assert stored.attempts == app.config["OUTBOX_MAX_ATTEMPTS"]


def test_permanent_failure_is_not_retried(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    fake_channel.fail_next = [DeliveryError("no such number", retryable=False)]
    message = reply(ticket, make_agent(), "Hello")
    assert Message.get_by_id(message.id).delivery_state == "failed"
    clock.advance(days=1)
    assert retry_due() == 0


# --- the auto-close clock (DESIGN.md §3) -------------------------------------


def test_clock_arms_at_first_agent_reply_and_later_replies_do_not_restart(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    agent = make_agent()
    clock.advance(minutes=5)
    armed_at = clock.now()
    reply(ticket, agent, "First answer")
    assert fresh(ticket).awaiting_customer_since == armed_at
    clock.advance(minutes=5)
    reply(ticket, agent, "Second answer")
    add_note(ticket, agent, "a note")
    assert fresh(ticket).awaiting_customer_since == armed_at


def test_bot_reply_arms_clock(app, fake_channel, clock):
    ticket = fake_channel.receive("Hi").ticket
    reply(ticket, None, "Automatic greeting", author_type="bot")
    assert fresh(ticket).awaiting_customer_since == clock.now()


def test_notes_and_notices_do_not_arm_clock(app, fake_channel, make_agent):
    ticket = fake_channel.receive("Hi").ticket
    add_note(ticket, make_agent(), "internal")
    add_notice(ticket, "system line")
    assert fresh(ticket).awaiting_customer_since is None


def test_customer_message_disarms_and_next_reply_rearms(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    agent = make_agent()
    reply(ticket, agent, "Answer")
    clock.advance(hours=3)
    fake_channel.receive("Thanks, one more question")
    assert fresh(ticket).awaiting_customer_since is None
    clock.advance(minutes=1)
    reply(ticket, agent, "Answer 2")
    assert fresh(ticket).awaiting_customer_since == clock.now()


def test_close_and_reopen_disarm_and_reopen_starts_over(app, fake_channel, make_agent, clock):
    ticket = fake_channel.receive("Hi").ticket
    agent = make_agent()
    reply(ticket, agent, "Answer")
    close(ticket, actor=agent)
    assert fresh(ticket).awaiting_customer_since is None
    clock.advance(minutes=1)
    reopen(ticket, actor=agent)
    reply(ticket, agent, "Following up after reopening")
    assert fresh(ticket).awaiting_customer_since is None, "arms only after the next customer message"
    clock.advance(minutes=1)
    fake_channel.receive("Still broken")
    reply(ticket, agent, "Looking")
    assert fresh(ticket).awaiting_customer_since == clock.now()


def test_thread_pages_backwards(app, fake_channel, make_agent):
    ticket = fake_channel.receive("m0").ticket
    for n in range(1, 60):
        fake_channel.receive(f"m{n}")
    page, more = thread(ticket)
    assert len(page) == 50 and more and page[-1].text == "m59" and page[0].text == "m10"
    older, more = thread(ticket, before=page[0].id)
    assert [m.text for m in older] == [f"m{n}" for n in range(10)] and not more


def test_thread_loads_authors_without_n_plus_one(app, fake_channel, make_agent):
    from playhouse.test_utils import assert_query_count

    ticket = fake_channel.receive("hi").ticket
    for n in range(5):
        add_note(ticket, make_agent(), f"note {n}")
    with assert_query_count(1):
        page, _ = thread(ticket)
        names = [m.author_agent.name for m in page if m.author_agent_id]
    assert len(names) == 5
