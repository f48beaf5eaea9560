"""Views: My inbox, Unassigned, All with filters, saved views, keyset
pagination, unread counts."""

import datetime as dt

import pytest
from playhouse.test_utils import assert_query_count

from app.services import Forbidden, NotFound, ServiceError
from app.services.tickets import assign, change_tags, close, snooze
from app.services.views import (
    count,
    create_view,
    delete_view,
    list_tickets,
    mark_read,
    unread_count,
    update_view,
    visible_views,
)


@pytest.fixture
def inbox(app, fake_channel, make_agent, clock):
    """me with 2 open tickets, 1 unassigned, 1 assigned to someone else, 1 closed, 1 snoozed."""
    me, other = make_agent(), make_agent()
    made = {}
    for n, name in enumerate(["mine1", "mine2", "unassigned", "others", "closed", "snoozed"]):
        clock.advance(minutes=1)
        made[name] = fake_channel.receive(f"about {name}", email=f"{name}@example.net", subject=name).ticket
    assign(made["mine1"], me)
    assign(made["mine2"], me)
    assign(made["others"], other)
    assign(made["closed"], me)
    close(made["closed"])
    snooze(made["snoozed"], clock.now() + dt.timedelta(days=1))
    return me, other, made


def names(rows):
    return [t.subject for t in rows]


def test_builtin_views(inbox):
    me, other, made = inbox
    assert names(list_tickets(me, "mine")[0]) == ["mine2", "mine1"]
    assert names(list_tickets(me, "unassigned")[0]) == ["unassigned"]
    assert set(names(list_tickets(me, "all")[0])) == set(made)
    assert count(me, "mine") == 2 and count(me, "unassigned") == 1 and count(me, "all") == 6


def test_filters(inbox, make_agent):
    me, other, made = inbox
    assert names(list_tickets(me, "all", {"status": ["closed"]})[0]) == ["closed"]
    assert names(list_tickets(me, "all", {"status": ["snoozed"]})[0]) == ["snoozed"]
    assert names(list_tickets(me, "all", {"assignee": str(other.id)})[0]) == ["others"]
    assert names(list_tickets(me, "all", {"assignee": "none", "status": ["open"]})[0]) == ["unassigned"]
    change_tags(made["mine1"], add=["vip"])
    assert names(list_tickets(me, "all", {"tag": "VIP"})[0]) == ["mine1"]
    assert names(list_tickets(me, "all", {"text": "OTHERS@example"})[0]) == ["others"]
    assert names(list_tickets(me, "all", {"profile": made["closed"].profile_id})[0]) == ["closed"]
    assert list_tickets(me, "all", {"channel": ["sms"]})[0] == []
    created = made["unassigned"].created_at
    after = names(list_tickets(me, "all", {"created_after": created}, sort="created", order="asc")[0])
    assert after == ["unassigned", "others", "closed", "snoozed"]


def test_keyset_pagination_walks_every_ticket_once(app, fake_channel, make_agent, clock):
    me = make_agent()
    for n in range(23):
        if n % 3:
            clock.advance(seconds=1)  # some tickets share a timestamp: the id breaks ties
        fake_channel.receive(f"t{n}", email=f"p{n}@example.net", subject=f"t{n}")
    seen, cursor = [], None
    while True:
        page, cursor = list_tickets(me, "all", limit=5, cursor=cursor)
        seen += names(page)
        if cursor is None:
            break
    assert len(seen) == 23 and len(set(seen)) == 23
    assert seen[0] == "t22" and seen[-1] == "t0"
    asc, _ = list_tickets(me, "all", sort="created", order="asc", limit=3)
    assert names(asc) == ["t0", "t1", "t2"]


def test_bad_cursor_and_sort_are_refused(app, make_agent):
    me = make_agent()
    with pytest.raises(ServiceError) as err:
        list_tickets(me, "all", cursor="garbage")
    assert err.value.field == "cursor"
    with pytest.raises(ServiceError):
        list_tickets(me, "all", sort="priority")


def test_list_has_no_n_plus_one(app, fake_channel, make_agent):
    me = make_agent()
    for n in range(10):
        t = fake_channel.receive("x", email=f"n{n}@example.net").ticket
        assign(t, me)
        change_tags(t, add=["a", "b"])
    with assert_query_count(3):  # tickets+profiles+assignees, tags, read markers
        rows, _ = list_tickets(me, "all")
        shown = [(t.profile.email, t.assignee.name, t.tags, t.unread) for t in rows]
    assert len(shown) == 10 and shown[0][2] == ["a", "b"]


def test_unread_counts_follow_read_markers(inbox, fake_channel):
    me, other, made = inbox
    assert unread_count(me, "mine") == 2 and unread_count(me, "unassigned") == 1
    mark_read(me, made["mine1"])
    assert unread_count(me, "mine") == 1
    rows, _ = list_tickets(me, "mine")
    assert {t.subject: t.unread for t in rows} == {"mine1": False, "mine2": True}
    fake_channel.receive("another question", email="mine1@example.net")
    assert unread_count(me, "mine") == 2
    assert unread_count(other, "mine") == 1


def test_saved_views_personal_and_shared(inbox, make_agent):
    me, other, made = inbox
    view = create_view(me, "Closed ones", {"status": ["closed"]})
    assert names(list_tickets(me, view.id)[0]) == ["closed"]
    with pytest.raises(NotFound):
        list_tickets(other, view.id)
    with pytest.raises(Forbidden):
        create_view(me, "Team", {"status": ["open"]}, shared=True)
    manager = make_agent(role="manager")
    shared = create_view(manager, "Team open", {"status": ["open"]}, shared=True)
    assert [v.name for v in visible_views(other)] == ["Team open"]
    with pytest.raises(Forbidden):
        update_view(other, shared, name="Mine now")
    update_view(me, view, filters={"status": ["snoozed"]})
    assert names(list_tickets(me, view.id)[0]) == ["snoozed"]
    with pytest.raises(ServiceError):
        create_view(me, "", {})
    delete_view(me, view)
    assert [v.name for v in visible_views(me)] == ["Team open"]


def test_saved_view_filters_are_validated(app, make_agent):
    import marshmallow

    with pytest.raises(marshmallow.ValidationError) as err:
        create_view(make_agent(), "Bad", {"status": ["pending"], "assignee": "everyone"})
    assert set(err.value.messages) == {"status", "assignee"}


def test_navigation_counts_take_two_queries_whatever_the_number_of_views(inbox, app, make_agent):
    from app.web.nav import nav_data

    me, other, made = inbox
    mark_read(me, made["mine1"])
    with app.test_request_context("/"):
        nav_data(me)  # the plugin-state version (the badge setting) is read once, then cached
        with assert_query_count(2):  # the saved views, then every count and the unread badge
            data = nav_data(me)
        assert [i["count"] for i in data["items"]] == [2, 1, 4] and data["unread"] == 2
        create_view(me, "Closed", {"status": ["closed"]})
        create_view(me, "Others'", {"assignee": str(other.id)})
        create_view(me, "About snoozed", {"text": "snoozed"})
        with assert_query_count(2):
            data = nav_data(me)
        assert [s["count"] for s in data["saved"]] == [1, 1, 1]
        assert [i["count"] for i in data["items"]] == [2, 1, 4] and data["unread"] == 2


def test_list_pages_take_three_queries_with_filters_and_search(inbox, fake_channel):
    me, other, made = inbox
    change_tags(made["mine1"], add=["vip"])
    for filters in ({}, {"tag": "vip"}, {"text": "mine1"}, {"status": ["open"], "channel": ["fake"], "tag": "vip"}):
        with assert_query_count(3):  # tickets with customer and assignee, tags, read markers
            rows, _cursor = list_tickets(me, "all", filters)
        assert rows
