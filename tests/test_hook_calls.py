"""Every hook call goes through pluggy: wrappers run around the other
implementations (event, decision and register hooks), pluggy's tracing sees
every call, event hooks keep per-plugin failure isolation, and a deprecated
hook warns through pluggy's ``warn_on_impl``."""

import logging

import pytest

from app.events import fire, fire_each
from app.hookspecs import HOOK_API_VERSION, HookDeprecationWarning, hookimpl, hookspec
from app.registry import Channel
from app.testing import factories


class Listener:
    """An event implementation that records its call, and fails if asked."""

    def __init__(self, calls, name, fail=False):
        self.calls, self.name, self.fail = calls, name, fail

    @hookimpl
    def helpline_on_ticket_created(self, ticket):
        self.calls.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} broke")


class EventWrapper:
    def __init__(self, calls):
        self.calls = calls

    @hookimpl(wrapper=True)
    def helpline_on_ticket_created(self, ticket):
        self.calls.append("wrapper before")
        results = yield
        self.calls.append(("wrapper after", results))
        return results


@pytest.fixture
def ticket(fake_channel):
    return fake_channel.receive("Where is my order?", email="ada@example.net").ticket


def test_a_wrapper_runs_around_an_event_hook_and_failures_stay_isolated(
    app, ticket, register_plugin, monkeypatch, caplog
):
    calls = []
    register_plugin(Listener(calls, "first", fail=True), "first")
    register_plugin(Listener(calls, "second"), "second")
    register_plugin(EventWrapper(calls), "wrapper")
    monkeypatch.setattr(app.extensions["helpline.plugins"], "strict", False)
    with caplog.at_level(logging.ERROR):
        fire("helpline_on_ticket_created", ticket=ticket)
    assert calls[0] == "wrapper before"
    assert sorted(calls[1:3]) == ["first", "second"], "the failing plugin does not stop the other"
    assert calls[3] == ("wrapper after", []), "the wrapper sees the call complete"
    assert "plugin first failed in helpline_on_ticket_created" in caplog.text
    assert "RuntimeError: first broke" in caplog.text


def test_strict_mode_reraises_the_failure_after_every_plugin_ran(app, ticket, register_plugin):
    calls = []
    register_plugin(Listener(calls, "second"), "second")
    register_plugin(Listener(calls, "first", fail=True), "first")  # called first (last registered)
    register_plugin(EventWrapper(calls), "wrapper")
    with pytest.raises(RuntimeError, match="first broke") as raised:
        fire("helpline_on_ticket_created", ticket=ticket)
    assert calls == ["wrapper before", "first", "second", ("wrapper after", [])]
    assert "raised by plugin 'first' in helpline_on_ticket_created" in raised.value.__notes__


def test_fire_each_calls_every_plugin_per_object_in_order_and_reraises_after_all(app, fake_channel, register_plugin):
    calls = []

    class Seen:
        @hookimpl
        def helpline_on_ticket_created(self, ticket):
            calls.append(("seen", ticket.subject))

    a = fake_channel.receive("a", email="a@example.net", subject="A").ticket
    b = fake_channel.receive("b", email="b@example.net", subject="B").ticket
    register_plugin(Seen(), "seen")
    register_plugin(Listener(calls, "first", fail=True), "first")  # called first (last registered)
    with pytest.raises(RuntimeError, match="first broke") as raised:
        fire_each("helpline_on_ticket_created", [{"ticket": a}, {"ticket": b}])
    # Both objects reached both plugins, in order, despite the failures.
    assert calls == ["first", ("seen", "A"), "first", ("seen", "B")]
    assert "raised by plugin 'first' in helpline_on_ticket_created" in raised.value.__notes__


def test_a_wrapper_runs_around_a_decision_hook(app, fake_channel, register_plugin):
    chosen, overruled_by = factories.agent(), factories.agent()
    calls = []

    class Chooser:
        @hookimpl
        def helpline_choose_assignee(self, ticket):
            calls.append("chooser")
            return chosen

    class Overrule:
        @hookimpl(wrapper=True)
        def helpline_choose_assignee(self, ticket):
            calls.append("wrapper before")
            agent = yield
            calls.append(("wrapper after", agent.id))
            return overruled_by if agent.id == chosen.id else agent

    register_plugin(Chooser(), "chooser")
    register_plugin(Overrule(), "overrule")
    ticket = fake_channel.receive("Hello", email="grace@example.net").ticket
    assert calls == ["wrapper before", "chooser", ("wrapper after", chosen.id)]
    assert factories.refresh(ticket).assignee_id == overruled_by.id


def test_a_register_hook_wrapper_wraps_its_own_plugin_only(app, register_plugin, fake_channel):
    seen = []

    class Carrier(Channel):
        slug = "carrier-pigeon"
        label = "Carrier pigeon"

        def send(self, outbound):
            return None

    class Pigeons:
        @hookimpl(wrapper=True)
        def helpline_register_channels(self):
            channels = yield
            seen.append(channels)
            return channels

        @hookimpl(specname="helpline_register_channels")
        def channels(self):
            return [Carrier]

    register_plugin(Pigeons(), "pigeons")
    assert seen == [[[Carrier]]]
    plugins = app.extensions["helpline.plugins"]
    assert plugins.channels["carrier-pigeon"].plugin == "pigeons"
    assert plugins.channels["fake"].plugin == "fake-channel", "the other plugin's result stays its own"
    register_plugin(Listener([], "later"), "later")
    assert len(seen) == 1, "registering another plugin does not call this plugin's hooks"


def test_hook_call_monitoring_sees_register_event_and_decision_calls(app, register_plugin, fake_channel):
    pm = app.extensions["helpline.plugins"].pm
    seen = []
    undo = pm.add_hookcall_monitoring(
        lambda hook_name, impls, kwargs: seen.append(hook_name), lambda outcome, hook_name, impls, kwargs: None
    )
    try:
        register_plugin(Listener([], "traced"), "traced")
        fake_channel.receive("Hello", email="alan@example.net")
    finally:
        undo()
    assert {"helpline_register_hookspecs", "helpline_register_settings", "helpline_register_channels"} <= set(seen)
    assert {"helpline_on_ticket_created", "helpline_on_message_received"} <= set(seen)
    assert "helpline_choose_assignee" in seen


def test_a_deprecated_hook_warns_its_implementer_and_still_runs(app, register_plugin, caplog):
    done = []

    class OldSpecs:
        @hookspec(warn_on_impl=HookDeprecationWarning("helpline_on_thing_done is deprecated; use helpline_on_thing"))
        def helpline_on_thing_done(self, thing):
            """A hook on its way out."""

    class SpecOwner:
        @hookimpl
        def helpline_register_hookspecs(self):
            return [OldSpecs]

    class OldStyle:
        @hookimpl
        def helpline_on_thing_done(self, thing):
            done.append(thing)

    register_plugin(SpecOwner(), "spec-owner")
    with caplog.at_level(logging.WARNING), pytest.warns(HookDeprecationWarning, match="is deprecated") as warned:
        register_plugin(OldStyle(), "old-style")
    assert warned[0].filename == __file__, "the warning points at the implementation"
    assert "helpline_on_thing_done is deprecated" in caplog.text, "operators see it in the log"
    fire("helpline_on_thing_done", thing=7)
    assert done == [7]


def test_the_contract_has_a_version():
    major, minor = HOOK_API_VERSION.split(".")
    assert (int(major), int(minor)) >= (2, 0)
