"""The event hooks added in hook API 2.0: a delivery the outbox gave up on,
tags that changed (one call per ticket, bulk included), a profile that was
updated. Each is called after commit."""

from app.db import write_transaction
from app.events import profile_updated
from app.registry import DeliveryError
from app.services import outbox, tickets
from app.services.messages import reply
from app.testing import factories


def test_delivery_failed_is_called_once_the_outbox_gives_up(app, fake_channel, hook_recorder, make_agent, clock):
    agent = make_agent()
    ticket = fake_channel.receive("Hello", email="ada@example.net").ticket
    fake_channel.fail_next.append(DeliveryError("number unreachable", retryable=False))
    message = reply(ticket, agent, "Your order shipped")
    calls = hook_recorder.calls("helpline_on_message_delivery_failed")
    assert len(calls) == 1
    assert calls[0]["message"].id == message.id and calls[0]["message"].delivery_state == "failed"
    assert calls[0]["ticket"].id == ticket.id and calls[0]["error"] == "number unreachable"


def test_delivery_failed_waits_for_the_last_attempt(app, fake_channel, hook_recorder, make_agent, clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    ticket = fake_channel.receive("Hello", email="grace@example.net").ticket
    fake_channel.fail_next += ["provider busy", "provider still busy"]
    message = reply(ticket, make_agent(), "On its way")
    assert factories.refresh(message).delivery_state == "queued"
    assert hook_recorder.calls("helpline_on_message_delivery_failed") == [], "a retry is still coming"
    clock.advance(hours=1)
    outbox.retry_due()
    calls = hook_recorder.calls("helpline_on_message_delivery_failed")
    assert [c["error"] for c in calls] == ["provider still busy"]
    assert factories.refresh(message).delivery_state == "failed"


def test_tags_changed_reports_what_was_added_and_removed(app, fake_channel, hook_recorder, make_agent):
    agent = make_agent()
    ticket = fake_channel.receive("Refund please", email="alan@example.net").ticket
    tickets.change_tags(ticket, add=["VIP", "refund"], actor=agent)
    tickets.change_tags(ticket, add=["vip"], actor=agent)  # nothing changes: no call
    tickets.change_tags(ticket, replace=["refund", "urgent"])
    calls = hook_recorder.calls("helpline_on_ticket_tags_changed")
    assert [(c["added"], c["removed"], c["actor"]) for c in calls] == [
        (["refund", "vip"], [], agent),
        (["urgent"], ["vip"], None),
    ]
    assert all(c["ticket"].id == ticket.id for c in calls)


def test_bulk_tagging_calls_the_hook_once_per_changed_ticket(app, fake_channel, hook_recorder, make_agent):
    agent = make_agent()
    one = fake_channel.receive("One", email="one@example.net").ticket
    two = fake_channel.receive("Two", email="two@example.net").ticket
    tickets.change_tags(one, add=["late"])
    hook_recorder.clear()
    tickets.bulk([one.id, two.id], "tag", agent, {"tags": ["late"]})
    calls = hook_recorder.calls("helpline_on_ticket_tags_changed")
    assert [(c["ticket"].id, c["added"], c["actor"]) for c in calls] == [(two.id, ["late"], agent)]


def test_profile_updated_is_called_after_commit(app, hook_recorder):
    profile = factories.profile(name="Ada")
    with write_transaction():
        profile.name = "Ada Lovelace"
        profile.save()
        profile_updated(profile, {"name": ("Ada", "Ada Lovelace")})
        assert hook_recorder.calls("helpline_on_profile_updated") == [], "not before the commit"
    calls = hook_recorder.calls("helpline_on_profile_updated")
    assert calls == [{"profile": profile, "changes": {"name": ("Ada", "Ada Lovelace")}}]
    profile_updated(profile, {})
    assert len(hook_recorder.calls("helpline_on_profile_updated")) == 1, "no change, no call"


def test_defer_hands_one_callbacks_items_to_one_flush(app):
    from app.events import after_commit, defer

    flushed = []

    def flush(items):
        flushed.append(list(items))

    def fire_three():
        for item in ("a", "b", "a"):
            defer(flush, item)
        assert flushed == [], "not before the callback has finished"

    with write_transaction():
        after_commit(fire_three)
        after_commit(lambda: defer(flush, "c"))
        assert flushed == [], "not before the commit"
    assert flushed == [["a", "b", "a"], ["c"]], "one flush per after-commit callback, in order"
    defer(flush, "d")
    assert flushed[-1] == ["d"], "outside a callback it runs at once"


def test_a_failing_flush_does_not_stop_the_others(app, monkeypatch):
    import pytest

    from app.events import after_commit, defer
    from app.plugins import get_plugins

    flushed = []

    def broken(items):
        raise RuntimeError("queue down")

    def flush(items):
        flushed.extend(items)

    def run():
        defer(broken, 1)
        defer(flush, 2)

    with pytest.raises(RuntimeError, match="queue down"):
        after_commit(run)  # strict (tests): re-raised once all ran
    assert flushed == [2]
    monkeypatch.setattr(get_plugins(), "strict", False)
    after_commit(run)  # production: logged, the others still run
    assert flushed == [2, 2]
