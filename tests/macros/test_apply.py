"""Applying a macro to one ticket: the reply goes out on the ticket's
channel, each action takes effect, and it is all or nothing."""

import datetime as dt

import pytest

from app.models import Message, Ticket
from app.services import tickets as ticket_service
from app.services.messages import ReplyRefused
from app.testing.factories import refresh
from plugins.macros import service


def outbound(ticket, kind="message"):
    return list(
        Message.select()
        .where((Message.ticket == ticket.id) & (Message.direction == "outbound") & (Message.kind == kind))
        .order_by(Message.id)
    )


def test_apply_sends_the_rendered_reply_on_the_channel(
    ticket, support, make_macro, fake_channel, as_agent, hook_recorder
):
    macro = make_macro(
        support, "Order status", body="Hi {{ customer.first_name }}, it ships today. - {{ agent.first_name }}"
    )
    resp = as_agent(support).post(f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": ticket.id})
    assert resp.status_code == 200, resp.json
    assert resp.json["usage_count"] == 1
    [sent] = fake_channel.sent
    assert sent.text == "Hi Ada, it ships today. - Sam"
    [message] = outbound(ticket)
    assert message.id == resp.json["message_id"] and message.delivery_state == "sent"
    assert message.author_agent_id == support.id
    assert hook_recorder.calls("helpline_on_message_created")


def test_agent_edited_text_replaces_the_rendered_body(ticket, support, make_macro, fake_channel, as_agent):
    macro = make_macro(support, "Thanks", body="Thanks {{ customer.first_name }}!")
    preview = as_agent(support).post(f"/api/v1/macros/{macro.id}/preview", json={"ticket_id": ticket.id})
    assert preview.json["body"] == "Thanks Ada!" and preview.json["refusal"] is None
    resp = as_agent(support).post(
        f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": ticket.id, "body": "Thanks Ada, and sorry for the wait!"}
    )
    assert resp.status_code == 200
    assert [o.text for o in fake_channel.sent] == ["Thanks Ada, and sorry for the wait!"]


def test_set_status_closes_the_ticket(ticket, support, make_macro):
    macro = make_macro(
        support, "Solved", body="Glad it worked!", actions=[{"type": "set_status", "params": {"status": "closed"}}]
    )
    service.apply(macro, ticket, support)
    ticket = refresh(ticket)
    assert ticket.status == "closed" and ticket.closed_reason == "agent"
    assert len(outbound(ticket)) == 1


def test_snooze_for_a_duration(ticket, support, make_macro, clock):
    macro = make_macro(support, "Wait for carrier", actions=[{"type": "snooze", "params": {"duration": "4h"}}])
    service.apply(macro, ticket, support)
    ticket = refresh(ticket)
    assert ticket.status == "snoozed"
    assert ticket.snoozed_until == clock.now() + dt.timedelta(hours=4)
    assert outbound(ticket) == []  # no body, no reply


def test_add_and_remove_tags(ticket, support, make_macro):
    ticket_service.change_tags(ticket, add=["new", "vip"])
    macro = make_macro(
        support,
        "Refund",
        actions=[
            {"type": "add_tags", "params": {"tags": ["Refund", "billing"]}},
            {"type": "remove_tags", "params": {"tags": ["new"]}},
        ],
    )
    service.apply(macro, ticket, support)
    assert ticket_service.tags_of(ticket) == ["billing", "refund", "vip"]


def test_assign_to_me_and_to_a_named_agent(ticket, support, manager, make_macro):
    to_me = make_macro(support, "Mine", actions=[{"type": "assign", "params": {"assignee": "me"}}])
    service.apply(to_me, ticket, support)
    assert refresh(ticket).assignee_id == support.id
    to_manager = make_macro(support, "Escalate", actions=[{"type": "assign", "params": {"assignee": str(manager.id)}}])
    service.apply(to_manager, ticket, support)
    assert refresh(ticket).assignee_id == manager.id


def test_internal_note_is_rendered_and_never_delivered(ticket, support, make_macro, fake_channel):
    macro = make_macro(
        support, "Flag", actions=[{"type": "add_note", "params": {"text": "Checked {{ customer.email }}'s order"}}]
    )
    service.apply(macro, ticket, support)
    [note] = outbound(ticket, kind="note")
    assert note.text == "Checked ada@example.net's order"
    assert fake_channel.sent == []


def test_actions_run_in_order_after_the_reply(ticket, support, make_macro, fake_channel):
    macro = make_macro(
        support,
        "Close and tag",
        body="Closing this, {{ customer.first_name }}.",
        actions=[
            {"type": "add_tags", "params": {"tags": ["done"]}},
            {"type": "set_status", "params": {"status": "closed"}},
        ],
    )
    service.apply(macro, ticket, support)
    assert refresh(ticket).status == "closed"
    assert ticket_service.tags_of(ticket) == ["done"]
    assert [o.text for o in fake_channel.sent] == ["Closing this, Ada."]


def test_a_failing_action_undoes_the_reply_and_earlier_actions(
    ticket, support, make_agent, make_macro, fake_channel, as_agent
):
    leaver = make_agent(role="support")
    macro = make_macro(
        support,
        "Hand over",
        body="Passing you to a colleague.",
        actions=[
            {"type": "add_tags", "params": {"tags": ["handover"]}},
            {"type": "assign", "params": {"assignee": str(leaver.id)}},
        ],
    )
    type(leaver).update(is_active=False).where(type(leaver).id == leaver.id).execute()
    resp = as_agent(support).post(f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": ticket.id})
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "assignee_gone"
    assert outbound(ticket) == [] and fake_channel.sent == []
    assert ticket_service.tags_of(ticket) == []
    assert refresh(macro).usage_count == 0


def test_refused_reply_on_a_non_consented_sms_ticket(sms_channel, support, make_macro, as_agent):
    ticket = sms_channel.receive_from("+15005550006", consent=None)
    macro = make_macro(
        support, "Closing", body="Thanks!", actions=[{"type": "set_status", "params": {"status": "closed"}}]
    )
    preview = as_agent(support).post(f"/api/v1/macros/{macro.id}/preview", json={"ticket_id": ticket.id})
    assert preview.json["refusal"]["code"] == "no_sms_consent"
    resp = as_agent(support).post(f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": ticket.id})
    assert resp.status_code == 409
    assert resp.json["error"] == {"code": "no_sms_consent", "message": "This customer has not agreed to receive SMS."}
    assert refresh(ticket).status == "open"  # the actions did not run either
    assert outbound(ticket) == [] and sms_channel.sent == []


def test_consented_sms_ticket_gets_the_reply(sms_channel, support, make_macro):
    ticket = sms_channel.receive_from("+15005550007", consent="transactional")
    macro = make_macro(support, "Hi", body="Hi from {{ organization.name }}")
    service.apply(macro, ticket, support)
    assert [o.text for o in sms_channel.sent] == ["Hi from My Shop"]


def test_kit_refusal_is_respected_too(ticket, support, make_macro, fake_channel):
    fake_channel.refuse_with("not_authorized", "The merchant may not message this customer.")
    macro = make_macro(support, "Hi", body="Hello")
    with pytest.raises(ReplyRefused) as err:
        service.apply(macro, ticket, support)
    assert err.value.message == "The merchant may not message this customer."


def test_usage_count_grows_with_each_apply(ticket, support, make_macro):
    macro = make_macro(support, "Tag", actions=[{"type": "add_tags", "params": {"tags": ["x"]}}])
    for _ in range(3):
        service.apply(macro, ticket, support)
    macro = refresh(macro)
    assert macro.usage_count == 3 and macro.last_used_at is not None


def test_tickets_from_the_api_are_checked(support, make_macro, as_agent):
    macro = make_macro(support, "Hi", body="Hello")
    resp = as_agent(support).post(f"/api/v1/macros/{macro.id}/apply", json={"ticket_id": 999})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    resp = as_agent(support).post(f"/api/v1/macros/{macro.id}/apply", json={"ticket": 1})
    assert resp.status_code == 422
    assert set(resp.json["error"]["fields"]) == {"ticket_id", "ticket"}
    assert Ticket.select().count() == 0
