"""Owner rules and deactivation, shared by the API and the UI's agents page."""

import pytest

from app.auth import create_token
from app.models import Agent, ApiToken, Ticket
from app.services import Conflict, Denied
from app.services.agents import remove_agent, update_agent
from app.services.tickets import assign


def test_only_owners_touch_owners_and_the_last_owner_stays(app, make_agent):
    owner, admin = make_agent(role="owner"), make_agent(role="admin")
    with pytest.raises(Denied) as denied:
        update_agent(admin, make_agent(), {"role": "owner"})
    assert denied.value.code == "owner_only"
    with pytest.raises(Denied):
        update_agent(admin, owner, {"role": "support"})
    # Nobody changes their own role or removes themselves (API and UI alike).
    for attempt in (
        lambda: update_agent(owner, owner, {"is_active": False}),
        lambda: update_agent(owner, owner, {"role": "admin"}),
        lambda: remove_agent(owner, owner),
    ):
        with pytest.raises(Denied) as own:
            attempt()
        assert own.value.code == "self_change"
    # The last owner stays even when another owner (since deactivated) asks.
    former = make_agent(role="owner")
    update_agent(owner, former, {"is_active": False})
    with pytest.raises(Conflict) as last:
        update_agent(former, owner, {"is_active": False})
    assert last.value.code == "last_owner"
    with pytest.raises(Conflict):
        remove_agent(former, owner)
    assert Agent.get_by_id(owner.id).is_active


def test_deactivating_releases_tokens_and_open_tickets(app, make_agent, fake_channel):
    admin, leaving = make_agent(role="admin"), make_agent()
    open_ticket = fake_channel.receive("hi", email="a@example.net").ticket
    assign(open_ticket, leaving)
    token, _ = create_token(leaving, "laptop")
    update_agent(admin, leaving, {"is_active": False})
    assert ApiToken.get_by_id(token.id).revoked_at is not None
    assert Ticket.get_by_id(open_ticket.id).assignee_id is None


def test_deactivation_says_why_each_ticket_went_back_to_unassigned(
    app, client, make_agent, fake_channel, hook_recorder
):
    admin, leaving = make_agent(role="admin"), make_agent(name="Lee Leaving")
    tickets = [fake_channel.receive(f"hi {n}", email=f"c{n}@example.net").ticket for n in range(2)]
    for ticket in tickets:
        assign(ticket, leaving)
    hook_recorder.clear()
    update_agent(admin, leaving, {"is_active": False})
    # Reports and rules hear of it like any other unassignment.
    events = hook_recorder.calls("helpline_on_ticket_assigned")
    assert sorted(e["ticket"].id for e in events) == sorted(t.id for t in tickets)
    assert all(e["old_assignee"].id == leaving.id and e["new_assignee"] is None for e in events)
    # The ticket's trail tells the agent who did it and why.
    _, secret = create_token(admin, "test")
    headers = {"Authorization": f"Bearer {secret}"}
    trail = client.get(f"/api/v1/tickets/{tickets[0].id}/activities", headers=headers).get_json()["items"]
    latest = trail[0]
    assert latest["action"] == "unassigned" and latest["actor"]["id"] == admin.id
    assert latest["reason"]["rule"] == "agents" and "Lee Leaving was deactivated" in latest["reason"]["summary"]
    assert latest["undo_until"] is None


def test_remove_deletes_a_fresh_agent_and_deactivates_one_with_history(app, make_agent, fake_channel):
    admin, fresh, busy = make_agent(role="admin"), make_agent(), make_agent()
    assign(fake_channel.receive("hi").ticket, busy)
    assert remove_agent(admin, fresh) == "deleted" and Agent.get_or_none(Agent.id == fresh.id) is None
    assert remove_agent(admin, busy) == "deactivated" and not Agent.get_by_id(busy.id).is_active


def test_the_agents_page_applies_the_same_rules(app, client, login, make_agent, fake_channel):
    owner = make_agent(role="owner", password=None)
    leaving = make_agent(password=None)
    ticket = fake_channel.receive("hi", email="b@example.net").ticket
    assign(ticket, leaving)
    token, _ = create_token(leaving, "phone")
    login(client, owner)
    client.post(f"/settings/agents/{leaving.id}", data={"active": "false"})
    assert not Agent.get_by_id(leaving.id).is_active
    assert ApiToken.get_by_id(token.id).revoked_at is not None
    assert Ticket.get_by_id(ticket.id).assignee_id is None
    other_owner = make_agent(role="owner", password=None)
    login(client, other_owner)
    client.post(f"/settings/agents/{owner.id}", data={"active": "false"})
    assert not Agent.get_by_id(owner.id).is_active
    login(client, make_agent(role="admin", password=None))
    refused = client.post(f"/settings/agents/{other_owner.id}", data={"role": "support"}, follow_redirects=True)
    assert b"Only an owner can change an owner." in refused.data
