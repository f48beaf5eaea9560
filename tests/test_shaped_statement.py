"""app.db.ShapedStatement: a query's SQL built once per shape, its values
bound on every call; the lookups by key that use it (API tokens, ingest's
reads) and the ticket list."""

import datetime as dt

import pytest

from app.auth import create_token, revoke_token
from app.db import ShapedStatement
from app.models import Agent, ApiToken, Ticket
from app.services.tickets import assign, change_tags, close
from app.services.views import list_tickets


def _by_status_and_names(shape, values):
    query = Ticket.select(Ticket.id, Ticket.status).where(Ticket.status.in_(values["statuses"]))
    if shape == "after":
        query = query.where(Ticket.created_at >= values["since"])
    return query.order_by(Ticket.id).limit(values["limit"])


def test_each_call_binds_its_own_values(app, fake_channel, clock):
    made = []
    for n in range(4):
        clock.advance(minutes=1)
        made.append(fake_channel.receive("hi", email=f"s{n}@example.net").ticket)
    close(made[0])
    statement = ShapedStatement(_by_status_and_names)

    def ids(shape, **values):
        return [t.id for t in statement.rows(shape, values)]

    assert ids(None, statuses=["open"], limit=10) == [t.id for t in made[1:]]
    assert ids(None, statuses=["closed"], limit=10) == [made[0].id]
    assert ids(None, statuses=["open"], limit=1) == [made[1].id]
    assert ids(None, statuses=["open", "closed"], limit=10) == [t.id for t in made]
    assert ids("after", statuses=["open", "closed"], since=made[2].created_at, limit=10) == [made[2].id, made[3].id]
    # The rows are what the peewee query gives: models with the selected columns.
    row = statement.rows(None, {"statuses": ["closed"], "limit": 1})[0]
    assert isinstance(row, Ticket) and row.status == "closed"


def test_a_lookup_by_key_gives_the_first_row_or_none(app, fake_channel, clock):
    first = fake_channel.receive("hi", email="a@example.net").ticket
    clock.advance(minutes=1)
    fake_channel.receive("hi", email="b@example.net")
    latest = ShapedStatement(
        lambda shape, values: Ticket.select().where(Ticket.thread_key == values["key"]).order_by(Ticket.id).limit(1)
    )
    assert latest.first(None, {"key": "a@example.net"}).id == first.id
    assert latest.first(None, {"key": "b@example.net"}).id != first.id
    assert latest.first(None, {"key": "nobody@example.net"}) is None


def test_joined_columns_on_one_model_converted_by_their_fields(app, make_agent, clock):
    me = make_agent()
    expires = clock.now() + dt.timedelta(days=30, microseconds=5)
    row, _token = create_token(me, "laptop", expires_at=expires)
    lookup = ShapedStatement(
        lambda shape, values: (
            Agent.select(Agent, ApiToken.expires_at.alias("token_expires_at"))
            .join(ApiToken, on=(ApiToken.agent == Agent.id))
            .where((ApiToken.name == values["name"]) & ApiToken.revoked_at.is_null())
            .objects()
        )
    )
    agent = lookup.first(None, {"name": "laptop"})
    assert agent.email == me.email and agent.token_expires_at == expires
    revoke_token(row)
    assert lookup.first(None, {"name": "laptop"}) is None


def test_a_builder_that_changes_a_value_is_refused(app):
    statement = ShapedStatement(lambda shape, values: Ticket.select().limit(values["limit"] + 1))
    with pytest.raises(ValueError, match="limit"):
        statement.rows(None, {"limit": 25})
    with pytest.raises(TypeError):
        ShapedStatement(lambda shape, values: Ticket.select()).rows(None, {"flag": True})


def test_lists_of_one_shape_each_get_their_own_rows(app, fake_channel, make_agent, clock):
    me, other = make_agent(), make_agent()
    made = {}
    for name in ("a", "b", "c", "d"):
        clock.advance(minutes=1)
        made[name] = fake_channel.receive(name, email=f"{name}@example.net", subject=name).ticket
    assign(made["a"], me)
    assign(made["b"], other)
    change_tags(made["a"], add=["vip"])
    change_tags(made["c"], add=["Refund"])
    close(made["d"])

    def subjects(agent=me, **filters):
        rows, _cursor = list_tickets(agent, "all", filters)
        return {t.subject for t in rows}

    assert subjects(tag="vip") == {"a"}
    assert subjects(tag=" REFUND ") == {"c"}
    assert subjects(assignee="me") == {"a"}
    assert subjects(other, assignee="me") == {"b"}
    assert subjects(assignee=str(other.id)) == {"b"}
    assert subjects(assignee="none") == {"c", "d"}
    assert subjects(status=["closed"]) == {"d"}
    assert subjects(status=["open"]) == {"a", "b", "c"}
    assert subjects(created_after=made["c"].created_at) == {"c", "d"}
    assert subjects(created_after=made["c"].created_at + dt.timedelta(seconds=1)) == {"d"}
    # Pages of one shape: the cursor's values are bound, never baked in.
    first, cursor = list_tickets(me, "all", limit=1)
    second, cursor = list_tickets(me, "all", limit=1, cursor=cursor)
    third, _cursor = list_tickets(me, "all", limit=1, cursor=cursor)
    assert [first[0].subject, second[0].subject, third[0].subject] == ["d", "c", "b"]
