"""The ticket list's JSON is written out by hand (``schemas.ticket_page``)
for speed: it must stay exactly what the documented schema dumps."""

import datetime as dt

from flask import jsonify

from app.api.schemas import TicketPage
from app.models import Ticket
from app.services import tickets as ticket_service
from app.services.views import list_tickets, mark_read


def test_list_json_is_what_the_documented_schema_dumps(app, client, support, fake_channel, clock):
    agent, headers = support
    plain = fake_channel.receive("Where is my order?", email="ana@example.net", name="Ana").ticket
    by_phone = fake_channel.receive("Hola", phone="+34600000001").ticket  # no name, no email
    tagged = fake_channel.receive("Broken", email="bo@example.net", name='Bo "B" <b>').ticket
    closed = fake_channel.receive("Thanks", email="cy@example.net", name="Cy").ticket
    snoozed = fake_channel.receive("Later", email="di@example.net", name="Dí").ticket
    ticket_service.assign(plain, agent)
    ticket_service.change_tags(tagged, add=["vip", "refund"])
    ticket_service.close(closed)
    ticket_service.snooze(snoozed, clock.now() + dt.timedelta(days=1))
    mark_read(agent, plain)
    # Microseconds and a non-ASCII subject: dumped as the schema does.
    Ticket.update(subject="Pedido nº 5 — ¿dónde?", updated_at=clock.now() + dt.timedelta(microseconds=1234)).where(
        Ticket.id == by_phone.id
    ).execute()

    response = client.get("/api/v1/tickets?view=all&limit=3", headers=headers)
    second = client.get(
        "/api/v1/tickets?view=all&limit=3&cursor=" + response.get_json()["next_cursor"], headers=headers
    )

    with app.test_request_context("/"):
        rows, cursor = list_tickets(agent, "all", limit=3)
        expected = jsonify(TicketPage().dump({"items": rows, "next_cursor": cursor})).get_data()
        rest, _ = list_tickets(agent, "all", limit=3, cursor=cursor)
        expected_rest = jsonify(TicketPage().dump({"items": rest, "next_cursor": None})).get_data()
    assert response.status_code == 200
    assert response.get_data() == expected
    assert second.get_data() == expected_rest
    items = response.get_json()["items"] + second.get_json()["items"]
    # What a client sees, spelled out for the rows that differ most.
    shown = {t["id"]: t for t in items}
    assert len(shown) == 5
    assert shown[plain.id]["assignee"] == {"id": agent.id, "name": agent.name}
    assert shown[plain.id]["unread"] is False and shown[tagged.id]["unread"] is True
    assert shown[tagged.id]["tags"] == ["refund", "vip"]
    assert shown[by_phone.id]["profile"]["email"] is None
    assert shown[by_phone.id]["updated_at"].endswith(".001234+00:00")
    assert shown[closed.id]["closed_reason"] == "agent" and shown[closed.id]["closed_at"].endswith("+00:00")
    assert shown[snoozed.id]["status"] == "snoozed" and shown[snoozed.id]["snoozed_until"] is not None
