"""Removing an agent keeps the navigation's counter rows (migration 0015)
equal to a recount: the read markers the agent leaves behind go with their
counts, on SQLite and PostgreSQL."""

import threading
import time

from test_view_counters import check, counted, tallied

from app.auth import create_token
from app.db import connection, db, is_postgres, write_transaction
from app.models import Activity, Agent, ReadMarker, Ticket
from app.services.tickets import assign
from app.services.views import mark_read


def test_deleting_an_agent_who_read_tickets_leaves_the_counters_equal_to_a_recount(
    app, client, fake_channel, make_agent
):
    owner = make_agent(role="owner", password=None)
    reader = make_agent(role="support", password=None)
    headers = {"Authorization": f"Bearer {create_token(owner, 'admin')[1]}"}
    reader_headers = {"Authorization": f"Bearer {create_token(reader, 'inbox')[1]}"}
    tickets = [fake_channel.receive("Where is my parcel?", email=f"c{i}@example.net").ticket for i in range(3)]
    for ticket in tickets[:2]:  # read, never answered: no history, so the agent is deleted
        assert client.put(f"/api/v1/tickets/{ticket.id}/read", json={}, headers=reader_headers).status_code == 204
        assert client.put(f"/api/v1/tickets/{ticket.id}/read", json={}, headers=headers).status_code == 204
    assert tallied()[2] == {(reader.id, 0): 2, (owner.id, 0): 2}

    answer = client.delete(f"/api/v1/agents/{reader.id}", headers=headers)
    assert answer.status_code == 204
    assert Agent.get_or_none(Agent.id == reader.id) is None  # deleted, not deactivated
    assert not ReadMarker.select().where(ReadMarker.agent == reader.id).exists()
    assert tallied() == counted()
    assert tallied()[2] == {(owner.id, 0): 2}
    check(app, [owner])  # the owner's badges still agree with their tickets


def test_a_ticket_assigned_while_the_agent_is_being_deleted_deactivates_them_instead(
    app, client, fake_channel, make_agent, test_timeout
):
    """Round-robin (or a manager) assigns the agent a ticket they had read
    in a transaction still open when the removal checks their history. The
    removal must wait for it and see the ticket, and deactivate the agent
    (the ticket back to Unassigned, said in its activity) rather than delete
    them and let the cascade unassign it unseen, which on PostgreSQL also
    unbalanced the deleted agent's read counts."""
    owner = make_agent(role="owner", password=None)
    reader = make_agent(role="support", password=None)
    headers = {"Authorization": f"Bearer {create_token(owner, 'admin')[1]}"}
    ticket = fake_channel.receive("Where is my parcel?", email="ana@example.net").ticket
    mark_read(reader, ticket)
    assigned, commit, answers, failures = threading.Event(), threading.Event(), [], []

    def assign_in_an_open_transaction():
        with app.app_context(), connection():
            try:
                with write_transaction():
                    assign(Ticket.get_by_id(ticket.id), reader)
                    assigned.set()
                    commit.wait(test_timeout(30))
            except Exception as exc:  # reported below
                failures.append(exc)
                assigned.set()

    def remove():
        answers.append(client.delete(f"/api/v1/agents/{reader.id}", headers=headers).status_code)

    assigner = threading.Thread(target=assign_in_an_open_transaction)
    assigner.start()
    assert assigned.wait(test_timeout(30)) and failures == []
    remover = threading.Thread(target=remove)
    remover.start()
    # PostgreSQL: let the assignment commit only once the removal waits on
    # it. (SQLite: the removal queues behind the open write transaction.)
    deadline = time.monotonic() + test_timeout(30)
    while is_postgres() and not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    commit.set()
    assigner.join()
    remover.join()
    assert failures == [] and answers == [204]

    kept = Agent.get_by_id(reader.id)
    assert kept.is_active is False  # deactivated: the ticket is history
    assert Ticket.get_by_id(ticket.id).assignee_id is None
    assert [a.action for a in Activity.select().where(Activity.ticket == ticket.id).order_by(Activity.id)][-1:] == [
        "unassigned"
    ]
    assert tallied() == counted()
    check(app, [owner])


def _waiting_on_a_lock():
    return bool(
        db.execute_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]
    )
