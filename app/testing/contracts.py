"""Contract test classes. A plugin's test module subclasses one, sets the
class attributes and implements the few methods that talk to its own entry
points; pytest then runs the contract's tests against the real plugin.

Example::

    class TestSmsChannel(ChannelContract):
        plugin_name = slug = "sms"
        valid_settings = {"account_sid": "AC123", ...}
        invalid_settings = {"attribution_hours": 0}

        def send_inbound(self, env, client, conversation, text, external_id):
            ...  # POST a signed webhook
        def sent_texts(self, env):
            ...  # what the fake provider received
"""

import abc
import json

import marshmallow
import pytest

from ..models import Message, Ticket


def check_models_match_migrations(app, plugin_name):
    """What every contract checks of a plugin's models: the tables its
    migrations made (the kit's ``app`` applies them) are the models it
    returns from ``helpline_register_models``."""
    from playhouse.schema_diff import diff_models

    from ..db import db

    diff = diff_models(db.obj, list(app.extensions["helpline.plugins"].infos[plugin_name].models))
    assert not diff, (
        f"plugin {plugin_name}: its models and migrations disagree; write the migration with"
        f' `helpline makemigration {plugin_name} NAME` (docs/plugins.md, "Models and migrations"):\n{diff}'
    )


def check_settings_validation(app, plugin_name, valid_settings, invalid_settings):
    """What every contract checks of a plugin's settings: ``valid_settings``
    are stored (each key kept), and ``invalid_settings`` are refused with an
    error naming each of their keys."""
    plugins = app.extensions["helpline.plugins"]
    stored = plugins.set_settings(plugin_name, dict(valid_settings))
    for key in valid_settings:
        assert key in stored
    if invalid_settings:
        with pytest.raises(marshmallow.ValidationError) as err:
            plugins.set_settings(plugin_name, dict(invalid_settings))
        assert set(invalid_settings) <= set(err.value.messages)


class ChannelContract(abc.ABC):
    """What every channel plugin must do (DESIGN.md §2-3)."""

    plugin_name: str = ""
    slug: str = ""
    #: settings that must validate
    valid_settings: dict = {}
    #: settings that must be refused; every key must appear in the errors
    invalid_settings: dict = {}

    # --- to implement -------------------------------------------------
    @pytest.fixture
    def channel_env(self, app):
        """Set the channel up (settings, fake provider servers); return
        whatever the methods below need."""
        return None

    @abc.abstractmethod
    def send_inbound(self, env, client, conversation, text, external_id):
        """Deliver a customer message through the channel's real entry point.
        Messages with the same ``conversation`` continue one thread."""

    @abc.abstractmethod
    def sent_texts(self, env):
        """Texts the channel delivered to the customer, oldest first."""

    def allow_reply(self, env, ticket):
        """Make replying possible (e.g. record SMS consent)."""

    #: ``[(case name, method name taking (env, ticket), expected refusal code)]``
    refusal_cases: list = []

    # --- helpers -------------------------------------------------------
    def _last_inbound(self):
        return (
            Message.select()
            .where((Message.channel == self.slug) & (Message.direction == "inbound"))
            .order_by(Message.id.desc())
            .first()
        )

    def _inbound_count(self):
        return Message.select().where((Message.channel == self.slug) & (Message.direction == "inbound")).count()

    # --- the contract ----------------------------------------------------
    def test_channel_is_registered(self, app, channel_env):
        plugins = app.extensions["helpline.plugins"]
        assert self.slug in plugins.channels
        assert plugins.channels[self.slug].plugin == self.plugin_name
        assert isinstance(plugins.channels[self.slug].reopens_closed, bool)

    def test_round_trip(self, app, client, channel_env, make_agent):
        from ..services.messages import reply

        self.send_inbound(channel_env, client, "conv-a", "Where is my parcel?", "contract-1")
        message = self._last_inbound()
        assert message is not None and "Where is my parcel?" in message.text
        ticket = Ticket.get_by_id(message.ticket_id)
        assert ticket.status == "open" and ticket.channel == self.slug
        self.allow_reply(channel_env, ticket)
        out = reply(ticket, make_agent(), "It ships tomorrow.")
        assert Message.get_by_id(out.id).delivery_state == "sent"
        assert any("It ships tomorrow." in t for t in self.sent_texts(channel_env))

    def test_ingest_is_idempotent(self, app, client, channel_env):
        self.send_inbound(channel_env, client, "conv-b", "Hello twice", "contract-dup")
        before = self._inbound_count()
        self.send_inbound(channel_env, client, "conv-b", "Hello twice", "contract-dup")
        assert self._inbound_count() == before

    def test_thread_key_decides_the_conversation(self, app, client, channel_env, monkeypatch):
        """Ingest asks the channel's ``thread_key`` for every message, files
        messages with one key in one ticket and keeps conversations apart."""
        channel_class = app.extensions["helpline.plugins"].channels[self.slug]
        original, keys = channel_class.thread_key, []

        def spy(channel, inbound):
            key = original(channel, inbound)
            keys.append(key)
            return key

        monkeypatch.setattr(channel_class, "thread_key", spy)
        self.send_inbound(channel_env, client, "conv-t", "First", "contract-t1")
        first = Ticket.get_by_id(self._last_inbound().ticket_id)
        self.send_inbound(channel_env, client, "conv-t", "Second", "contract-t2")
        second = Ticket.get_by_id(self._last_inbound().ticket_id)
        self.send_inbound(channel_env, client, "conv-u", "Elsewhere", "contract-t3")
        other = Ticket.get_by_id(self._last_inbound().ticket_id)
        assert len(keys) == 3, "ingest calls Channel.thread_key once per message"
        assert keys[0] and keys[0] == keys[1] != keys[2]
        assert first.thread_key == keys[0][:255] and other.thread_key == keys[2][:255]
        assert second.id == first.id and other.id != first.id

    def test_card_is_plain_facts_the_ticket_page_shows(self, app, client, channel_env, make_agent, login):
        """``Channel.card`` answers None or a ``ChannelCard`` of text facts,
        and the ticket page renders with it."""
        from ..registry import CardFact, ChannelCard

        self.send_inbound(channel_env, client, "conv-card", "Card please", "contract-card")
        ticket = Ticket.get_by_id(self._last_inbound().ticket_id)
        with app.test_request_context():
            card = app.extensions["helpline.plugins"].channel(self.slug).card(ticket)
        if card is not None:
            assert isinstance(card, ChannelCard) and str(card.title)
            for fact in card.facts:
                assert isinstance(fact, CardFact) and str(fact.label) and isinstance(str(fact.value), str)
        login(client, make_agent())
        page = client.get(f"/t/{ticket.id}")
        assert page.status_code == 200
        assert (b'id="channel-card"' in page.data) == bool(card and card.facts)

    def test_reopen_policy(self, app, client, channel_env):
        from ..services.tickets import close

        self.send_inbound(channel_env, client, "conv-c", "First", "contract-c1")
        first = Ticket.get_by_id(self._last_inbound().ticket_id)
        close(first)
        self.send_inbound(channel_env, client, "conv-c", "Again", "contract-c2")
        second = Ticket.get_by_id(self._last_inbound().ticket_id)
        channel = app.extensions["helpline.plugins"].channels[self.slug]
        if channel.reopens_closed:
            assert second.id == first.id and second.status == "open" and second.reopen_count == 1
        else:
            assert second.id != first.id and Ticket.get_by_id(first.id).status == "closed"

    def test_refusals(self, app, client, channel_env, make_agent):
        from ..services.messages import ReplyRefused, reply

        for index, (name, method, code) in enumerate(self.refusal_cases):
            self.send_inbound(channel_env, client, f"conv-refusal-{index}", "Hi", f"contract-r{index}")
            ticket = Ticket.get_by_id(self._last_inbound().ticket_id)
            getattr(self, method)(channel_env, ticket)
            with pytest.raises(ReplyRefused) as refused:
                reply(ticket, make_agent(), "Hello")
            assert refused.value.code == code, name
            assert refused.value.message

    def test_settings_validation(self, app, channel_env):
        check_settings_validation(app, self.plugin_name, self.valid_settings, self.invalid_settings)

    def test_models_match_migrations(self, app, channel_env):
        check_models_match_migrations(app, self.plugin_name)


class PanelContract:
    """What every panel plugin must do."""

    plugin_name: str = ""
    slug: str = ""

    @pytest.fixture
    def panel_profile(self, app):
        from .factories import profile

        return profile()

    def test_panel_renders_json_data(self, app, panel_profile):
        plugins = app.extensions["helpline.plugins"]
        panel = plugins.panels[self.slug]()
        assert panel.title
        if panel.eligible(panel_profile):
            json.dumps(panel.render_data(panel_profile), default=str)

    def test_panel_template_is_found(self, app):
        """The panel's ``template`` is served by one of the plugin's blueprints (``template_folder``)."""
        from jinja2 import TemplateNotFound

        panel = app.extensions["helpline.plugins"].panels[self.slug]()
        if panel.template:
            try:
                app.jinja_env.get_template(panel.template)
            except TemplateNotFound:
                pytest.fail(
                    f"panel {self.slug}: template {panel.template} not found; return a flask.Blueprint with"
                    ' template_folder="templates" from helpline_register_blueprints (docs/plugins.md, "Templates")'
                )

    def test_models_match_migrations(self, app):
        check_models_match_migrations(app, self.plugin_name)

    def test_disabled_panel_is_not_offered(self, app):
        plugins = app.extensions["helpline.plugins"]
        plugins.set_enabled(self.plugin_name, False)
        assert self.slug not in [p.slug for p in plugins.enabled_panels()]


class RuleContract:
    """What every rule plugin must do."""

    plugin_name: str = ""
    slug: str = ""
    valid_settings: dict = {}
    invalid_settings: dict = {}

    def test_rule_is_registered(self, app):
        plugins = app.extensions["helpline.plugins"]
        assert plugins.rules[self.slug].plugin == self.plugin_name

    def test_rule_describes_itself(self, app):
        """What the Rules settings page shows: a label, an on/off answer
        from the plugin's own settings, a settings page that exists."""
        from flask import url_for

        plugins = app.extensions["helpline.plugins"]
        cls = plugins.rules[self.slug]
        assert str(cls.label)
        rule = cls(settings=plugins.get_settings(self.plugin_name))
        assert isinstance(rule.is_active(), bool)
        if cls.settings_endpoint:
            with app.test_request_context():
                assert url_for(cls.settings_endpoint)

    def test_settings_validation(self, app):
        check_settings_validation(app, self.plugin_name, self.valid_settings, self.invalid_settings)

    def test_models_match_migrations(self, app):
        check_models_match_migrations(app, self.plugin_name)
