"""Other plugins add macro actions through the macros plugin's hookspec."""

import marshmallow as ma
import pytest

from app.hookspecs import hookimpl
from app.services import ServiceError
from app.testing.factories import refresh
from plugins.macros import service
from plugins.macros.actions import MacroAction


class _PriorityParams(ma.Schema):
    level = ma.fields.String(required=True, validate=ma.validate.OneOf(("low", "high")))


class SetPriority(MacroAction):
    """A third-party action: records a priority in the ticket's subject."""

    name = "acme.set_priority"
    label = "Set priority"
    params_schema = _PriorityParams

    def run(self, ticket, params, agent, context):
        if params["level"] == "high" and ticket.subject.startswith("[HIGH]"):
            raise ServiceError("Already high priority.", code="already_high", field="actions")
        type(ticket).update(subject=f"[{params['level'].upper()}] {ticket.subject}").where(
            type(ticket).id == ticket.id
        ).execute()


class AcmePlugin:
    """Acme's helpdesk extras."""

    @hookimpl(optionalhook=True)
    def helpline_macro_actions(self):
        return [SetPriority]


def test_third_party_action_appears_and_runs(register_plugin, ticket, support, as_agent):
    register_plugin(AcmePlugin(), "acme")
    client = as_agent(support)
    catalog = client.get("/api/v1/macros/catalog").json
    [acme] = [a for a in catalog["actions"] if a["name"] == "acme.set_priority"]
    assert acme == {
        "name": "acme.set_priority",
        "label": "Set priority",
        "params": [{"name": "level", "type": "string", "required": True, "choices": ["low", "high"]}],
    }
    resp = client.post(
        "/api/v1/macros",
        json={
            "name": "Escalate",
            "body": "On it, {{ customer.first_name }}!",
            "actions": [
                {"type": "acme.set_priority", "params": {"level": "high"}},
                {"type": "assign", "params": {"assignee": "me"}},
            ],
        },
    )
    assert resp.status_code == 201, resp.json
    bad = client.post(
        "/api/v1/macros", json={"name": "x", "actions": [{"type": "acme.set_priority", "params": {"level": "urgent"}}]}
    )
    assert bad.status_code == 400 and "level" in bad.json["error"]["message"]
    applied = client.post(f"/api/v1/macros/{resp.json['id']}/apply", json={"ticket_id": ticket.id})
    assert applied.status_code == 200
    ticket = refresh(ticket)
    assert ticket.subject.startswith("[HIGH]") and ticket.assignee_id == support.id
    # The action's own refusal rolls the whole macro back, like a built-in's.
    again = client.post(f"/api/v1/macros/{resp.json['id']}/apply", json={"ticket_id": ticket.id})
    assert again.status_code == 400 and again.json["error"]["code"] == "already_high"
    assert refresh(ticket).subject == ticket.subject


def test_a_disabled_plugins_actions_disappear(register_plugin, app, ticket, support, make_macro):
    register_plugin(AcmePlugin(), "acme")
    macro = make_macro(support, "Low", actions=[{"type": "acme.set_priority", "params": {"level": "low"}}])
    app.extensions["helpline.plugins"].set_enabled("acme", False)
    preview = service.preview(macro, ticket, support)
    assert preview["actions"][0]["available"] is False
    with pytest.raises(ServiceError) as err:
        service.apply(macro, ticket, support)
    assert err.value.code == "action_unavailable" and "acme.set_priority" in err.value.message
    assert not refresh(ticket).subject.startswith("[LOW]")
