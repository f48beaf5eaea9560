"""The kit's contract classes, run against small plugins, so a broken
contract is caught here before it misleads a plugin author."""

import marshmallow as ma
import pytest

from app.hookspecs import hookimpl
from app.registry import Panel, Rule
from app.testing import FakeChannelPlugin
from app.testing.contracts import ChannelContract, PanelContract, RuleContract


class TestFakeChannelContract(ChannelContract):
    plugin_name = "contract-fake"
    slug = "cfake"
    valid_settings = {"signature": "-- Shop", "max_length": 160}
    invalid_settings = {"max_length": 0}
    refusal_cases = [("channel refuses", "refuse", "no_consent")]

    @pytest.fixture
    def channel_env(self, register_plugin):
        return register_plugin(FakeChannelPlugin("cfake", reopens_closed=True), self.plugin_name)

    def send_inbound(self, env, client, conversation, text, external_id):
        env.receive(text, email=f"{conversation}@example.net", external_id=external_id)

    def sent_texts(self, env):
        return [o.text for o in env.sent]

    def refuse(self, env, ticket):
        env.refuse_with("no_consent", "No consent.")


class TestChatStyleContract(TestFakeChannelContract):
    """The same contract holds for a channel that never reopens."""

    slug = "cchat"

    @pytest.fixture
    def channel_env(self, register_plugin):
        return register_plugin(
            FakeChannelPlugin("cchat", reopens_closed=False, per_conversation=True), self.plugin_name
        )

    def send_inbound(self, env, client, conversation, text, external_id):
        env.receive(text, email="same@example.net", conversation=conversation, external_id=external_id)


class LifetimeValue(Panel):
    slug = "ltv"
    title = "Lifetime value"

    def render_data(self, profile):
        return {"orders": profile.orders.count()}


class Settings(ma.Schema):
    days = ma.fields.Integer(load_default=2, validate=ma.validate.Range(min=1, max=90))


class Nudge(Rule):
    slug = "nudge"
    label = "Nudge"


class PanelPlugin:
    @hookimpl
    def helpline_register_panels(self):
        return [LifetimeValue]


class RulePlugin:
    @hookimpl
    def helpline_register_rules(self):
        return [Nudge]

    @hookimpl
    def helpline_register_settings(self):
        return Settings


class TestPanelContract(PanelContract):
    plugin_name = "panel-plugin"
    slug = "ltv"

    @pytest.fixture(autouse=True)
    def _install(self, register_plugin):
        register_plugin(PanelPlugin(), self.plugin_name)


class TestRuleContract(RuleContract):
    plugin_name = "rule-plugin"
    slug = "nudge"
    valid_settings = {"days": 5}
    invalid_settings = {"days": 0}

    @pytest.fixture(autouse=True)
    def _install(self, register_plugin):
        register_plugin(RulePlugin(), self.plugin_name)


def test_every_contract_refuses_models_their_migrations_did_not_make(app, register_plugin):
    from peewee import CharField

    from app.db import BaseModel
    from app.testing.contracts import check_models_match_migrations

    class Unmigrated(BaseModel):
        name = CharField()

    class ModelPlugin:
        @hookimpl
        def helpline_register_models(self):
            return [Unmigrated]

    register_plugin(ModelPlugin(), "model-plugin")
    with pytest.raises(AssertionError, match="helpline makemigration model-plugin NAME") as failed:
        check_models_match_migrations(app, "model-plugin")
    assert "create table unmigrated" in str(failed.value)
    for contract in (ChannelContract, PanelContract, RuleContract):
        assert "test_models_match_migrations" in vars(contract), contract


def test_the_panel_contract_names_the_fix_for_a_template_no_loader_finds(app, register_plugin):
    class Lost(LifetimeValue):
        slug = "lost"
        template = "lost-plugin/panel.html"

    class LostPlugin:
        @hookimpl
        def helpline_register_panels(self):
            return [Lost]

    register_plugin(LostPlugin(), "lost-plugin")
    contract = PanelContract()
    contract.plugin_name, contract.slug = "lost-plugin", "lost"
    with pytest.raises(pytest.fail.Exception, match='template_folder="templates"'):
        contract.test_panel_template_is_found(app)
