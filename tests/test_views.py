"""Views: My inbox, Unassigned, All with filters, saved views, keyset
pagination, unread counts."""

import datetime as dt

import pytest
from playhouse.test_utils import assert_query_count

from app.db import is_postgres
from app.models import Tag, Ticket, TicketTag
from app.services import Forbidden, NotFound, ServiceError
from app.services.tickets import assign, change_tags, close, reopen, snooze
from app.services.views import (
    _walk_days,
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


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_created_range_sorted_by_update_pages_in_update_order(app, fake_channel, make_agent, clock, order):
    """Such a list picks each page's ids first (and on PostgreSQL reads the
    range on its own): the pages still hold every ticket once, in order."""
    me = make_agent()
    start = clock.now()
    made = []
    for n in range(12):
        clock.advance(minutes=1)
        made.append(fake_channel.receive(f"t{n}", email=f"r{n}@example.net", subject=f"t{n}").ticket)
    for n in (7, 3, 10, 0):  # later activity reorders them by update
        clock.advance(minutes=1)
        fake_channel.receive("again", email=f"r{n}@example.net")
    window = {"created_after": start + dt.timedelta(minutes=2), "created_before": start + dt.timedelta(minutes=11)}
    seen, cursor = [], None
    while True:
        page, cursor = list_tickets(me, "all", window, sort="updated", order=order, limit=2, cursor=cursor)
        seen += names(page)
        if cursor is None:
            break
    in_window = [t for t in made if window["created_after"] <= t.created_at < window["created_before"]]
    by_update = sorted(in_window, key=lambda t: (Ticket.get_by_id(t.id).updated_at, t.id), reverse=order == "desc")
    assert seen == [t.subject for t in by_update] and len(seen) == 9


def _every_page(agent, filters, order, limit=2, sort="updated"):
    seen, cursor = [], None
    while True:
        page, cursor = list_tickets(agent, "all", filters, sort=sort, order=order, limit=limit, cursor=cursor)
        seen += [t.id for t in page]
        if cursor is None:
            return seen


# (sort, the other date's range): a created range sorted by update walks
# ticket (date(created_at), updated_at, id), an updated range sorted by
# creation ticket (date(updated_at), created_at, id).
RANGES = {
    "updated": ("created_at", "created_after", "created_before"),
    "created": ("updated_at", "updated_after", "updated_before"),
}


@pytest.mark.parametrize("sort", ["updated", "created"])
@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("spacing_hours", [5, 70])  # a range of 3 days (walked day by day), then of 35 days
def test_a_created_range_over_days_pages_like_a_full_ordered_read(
    app, fake_channel, make_agent, clock, order, spacing_hours, sort
):
    """A range of up to a month is walked one day at a time (each day in
    the sort's order, then merged); a longer one on the days that hold each
    page. Either way the pages hold the range's tickets once each, in (sort
    key, id) order, with or without another filter: a created range sorted
    by update, an updated range sorted by creation."""
    column, after_key, before_key = RANGES[sort]
    me = make_agent()
    start = clock.now()
    made = []
    for n in range(20):
        clock.advance(hours=spacing_hours)
        made.append(fake_channel.receive(f"t{n}", email=f"d{n}@example.net", subject=f"t{n}").ticket)
        if n % 4 == 0:  # a second ticket created (and updated) at the same instant: the id breaks the tie
            made.append(fake_channel.receive(f"t{n}b", email=f"e{n}@example.net", subject=f"t{n}b").ticket)
    for n in (3, 11, 0, 16, 7):  # later activity, days after creation, reorders them by update
        clock.advance(hours=1)
        fake_channel.receive("again", email=f"d{n}@example.net")
    for t in made[::5]:
        close(t)
    # Both ends fall inside a day, so the first and last days hold tickets on both sides of the range.
    span = dt.timedelta(hours=spacing_hours)
    window = {
        after_key: start + 3 * span - dt.timedelta(hours=2),
        before_key: start + 15 * span + dt.timedelta(hours=1),
    }
    assert (_walk_days(window, sort) is None) == (spacing_hours == 70)  # 35 days: more than a walk by day takes
    for extra in ({}, {"status": ["open"]}):
        filters = {**window, **extra}
        dated = getattr(Ticket, column)
        full = Ticket.select(Ticket.id).where((dated >= filters[after_key]) & (dated < filters[before_key]))
        if extra:
            full = full.where(Ticket.status.in_(extra["status"]))
        key = getattr(Ticket, f"{sort}_at")
        ordering = (key, Ticket.id) if order == "asc" else (key.desc(), Ticket.id.desc())
        expected = [t.id for t in full.order_by(*ordering)]
        assert len(expected) >= 10
        assert _every_page(me, filters, order, sort=sort) == expected
        assert _every_page(me, filters, order, limit=100, sort=sort) == expected


def test_a_created_range_walked_by_day_takes_two_queries(app, fake_channel, make_agent, clock):
    me = make_agent()
    start = clock.now()
    for n in range(6):
        clock.advance(hours=10)
        fake_channel.receive(f"t{n}", email=f"q{n}@example.net", subject=f"t{n}")
    window = {"created_after": start, "created_before": start + dt.timedelta(days=3)}
    with assert_query_count(2):  # tickets with customer, assignee and read marker; tags
        rows, _cursor = list_tickets(me, "all", window)
    assert names(rows) == ["t5", "t4", "t3", "t2", "t1", "t0"]
    updated = {"updated_after": start, "updated_before": start + dt.timedelta(days=3)}
    with assert_query_count(2):  # the same, walked on ticket (date(updated_at), created_at, id)
        rows, _cursor = list_tickets(me, "all", updated, sort="created", order="asc")
    assert names(rows) == ["t0", "t1", "t2", "t3", "t4", "t5"]


def test_a_tag_no_ticket_of_these_statuses_carries_lists_nothing_until_one_does(app, fake_channel, make_agent):
    """The counter rows tell the list at once that no open ticket carries
    the tag; when one does again (reopened), it is listed."""
    me = make_agent()
    tickets = [fake_channel.receive("x", email=f"g{n}@example.net").ticket for n in range(3)]
    for t in tickets:
        assign(t, me)
    change_tags(tickets[0], add=["refund"])
    close(tickets[0])
    change_tags(tickets[1], add=["vip"])
    mine_open = {"status": ["open"], "assignee": "me", "channel": ["fake"]}
    with assert_query_count(1):  # the page; no tags to read for no ticket
        assert list_tickets(me, "all", {**mine_open, "tag": "refund"})[0] == []
    assert list_tickets(me, "all", {**mine_open, "tag": "nosuchtag"})[0] == []
    assert [t.id for t in list_tickets(me, "all", {"tag": "refund"})[0]] == [tickets[0].id]
    assert [t.id for t in list_tickets(me, "all", {**mine_open, "tag": "vip"})[0]] == [tickets[1].id]
    reopen(Ticket.get_by_id(tickets[0].id))
    assert [t.id for t in list_tickets(me, "all", {**mine_open, "tag": "refund"})[0]] == [tickets[0].id]


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
    with assert_query_count(2):  # tickets with customer, assignee and read marker; tags
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
    # Another agent's reading marks nothing read for me, in lists and searches.
    mark_read(other, made["mine2"])
    rows, _ = list_tickets(me, "all", {"text": "about"})
    assert {t.subject: t.unread for t in rows}["mine2"] is True
    rows, _ = list_tickets(other, "all", {"created_after": made["mine1"].created_at})
    assert {t.subject: t.unread for t in rows}["mine2"] is False
    fake_channel.receive("another question", email="mine1@example.net")
    assert unread_count(me, "mine") == 2
    assert unread_count(other, "mine") == 1
    rows, _ = list_tickets(me, "mine")
    assert {t.subject: t.unread for t in rows} == {"mine1": True, "mine2": True}


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
        # A search among the counts: on PostgreSQL one more statement first,
        # the settings that keep JIT and parallel workers out of it.
        with assert_query_count(3 if is_postgres() else 2):
            data = nav_data(me)
        assert [s["count"] for s in data["saved"]] == [1, 1, 1]
        assert [i["count"] for i in data["items"]] == [2, 1, 4] and data["unread"] == 2


def test_list_pages_take_two_queries_with_filters_and_search(inbox, fake_channel):
    me, other, made = inbox
    change_tags(made["mine1"], add=["vip"])
    for filters in ({}, {"tag": "vip"}, {"text": "mine1"}, {"status": ["open"], "channel": ["fake"], "tag": "vip"}):
        # Tickets with customer, assignee and read marker; tags (and, for a
        # search on PostgreSQL, the settings statement before them).
        with assert_query_count(3 if is_postgres() and filters.get("text") else 2):
            rows, _cursor = list_tickets(me, "all", filters)
        assert rows


def _tag_lists(me, other):
    """Filter sets a tagged list walks on the tag's rows (with an assignee,
    or none, on ticket_tag_list; without an assignee filter on
    ticket_tag_status_list)."""
    sets = []
    for assignee in ("me", "none", str(other.id), None):
        for extra in ({}, {"status": ["open"]}, {"status": ["open", "closed"]}, {"channel": ["fake"]}):
            sets.append({"tag": "vip", **({"assignee": assignee} if assignee else {}), **extra})
    return sets


def _full_read(me, filters, order):
    query = Ticket.select(Ticket.id).join(TicketTag).join(Tag).where(Tag.name == filters["tag"])
    assignee = filters.get("assignee")
    if assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee:
        query = query.where(Ticket.assignee == (me.id if assignee == "me" else int(assignee)))
    if filters.get("status"):
        query = query.where(Ticket.status.in_(filters["status"]))
    if filters.get("channel"):
        query = query.where(Ticket.channel.in_(filters["channel"]))
    if filters.get("updated_after"):
        query = query.where(Ticket.updated_at >= filters["updated_after"])
    ordering = (Ticket.updated_at, Ticket.id) if order == "asc" else (Ticket.updated_at.desc(), Ticket.id.desc())
    return [t.id for t in query.order_by(*ordering)]


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_tagged_list_of_an_agent_pages_like_a_full_ordered_read(app, fake_channel, make_agent, clock, order):
    """A tag with an assignee (or none) is listed from the tag's rows, which
    copy the ticket's status, assignee and update time: after assigning,
    closing, snoozing, new messages and a bulk UPDATE that bypasses the
    services (as the auto-close sweep's does), the pages still hold exactly
    the tickets a full read finds, once each, in (updated_at, id) order."""
    me, other = make_agent(), make_agent()
    start = clock.now()
    made = []
    for n in range(30):
        if n % 4:
            clock.advance(minutes=1)  # some share a timestamp: the id breaks ties
        ticket = fake_channel.receive(f"t{n}", email=f"w{n}@example.net", subject=f"t{n}").ticket
        made.append(ticket)
        if n % 5 != 4:
            change_tags(ticket, add=["vip"] if n % 2 else ["vip", "late"])
        if n % 3 == 1:
            assign(ticket, me)
        elif n % 3 == 2:
            assign(ticket, other)
    for n in (4, 9):  # tagged after their assignment
        change_tags(made[n], add=["vip"])
    for n in (1, 8, 13, 22):
        clock.advance(minutes=1)
        close(Ticket.get_by_id(made[n].id))
    snooze(Ticket.get_by_id(made[7].id), clock.now() + dt.timedelta(days=1))
    assign(Ticket.get_by_id(made[16].id), other)  # from me to other
    assign(Ticket.get_by_id(made[2].id), me)  # from other to me
    for n in (3, 25, 10, 19):  # later activity reorders them by update
        clock.advance(minutes=1)
        fake_channel.receive("again", email=f"w{n}@example.net")
    clock.advance(minutes=1)
    Ticket.update(status="closed", closed_at=clock.now(), updated_at=clock.now()).where(
        Ticket.id.in_([made[10].id, made[28].id])
    ).execute()
    extra = [{"tag": "vip", "assignee": "me", "updated_after": start}, {"tag": "vip", "updated_after": start}]
    for filters in [*_tag_lists(me, other), *extra]:
        expected = _full_read(me, filters, order)
        assert expected, filters
        assert _every_page(me, filters, order) == expected, filters
        assert _every_page(me, filters, order, limit=100) == expected, filters
    mine_open = _full_read(me, {"tag": "vip", "assignee": "me", "status": ["open"]}, "desc")
    assert made[2].id in mine_open and made[16].id not in mine_open and made[1].id not in mine_open


def test_a_tag_few_tickets_of_the_statuses_carry_is_listed_from_its_rows_in_two_queries(
    app, fake_channel, make_agent, clock
):
    """With no assignee filter (open + tag, All + tag) the tag's rows of each
    status are walked: a page is the same two queries however many tickets
    of the statuses lack the tag, and it follows closes and new messages."""
    me = make_agent()
    tickets = [fake_channel.receive("x", email=f"h{n}@example.net", subject=f"h{n}").ticket for n in range(8)]
    for t in tickets[1::3]:
        change_tags(t, add=["refund"])
    open_refund = {"status": ["open"], "tag": "refund"}
    with assert_query_count(2):  # tickets with customer, assignee and read marker; tags
        rows, _cursor = list_tickets(me, "all", open_refund)
    assert names(rows) == ["h7", "h4", "h1"] and rows[0].tags == ["refund"]
    close(Ticket.get_by_id(tickets[4].id))
    assert names(list_tickets(me, "all", open_refund)[0]) == ["h7", "h1"]
    assert names(list_tickets(me, "all", {**open_refund, "status": ["closed"]})[0]) == ["h4"]
    clock.advance(minutes=1)
    fake_channel.receive("again", email="h1@example.net")  # newest activity first
    assert names(list_tickets(me, "all", open_refund)[0]) == ["h1", "h7"]
    assert names(list_tickets(me, "all", {"tag": "refund"})[0]) == ["h1", "h7", "h4"]  # every status


def test_a_tagged_list_of_an_agent_takes_two_queries_and_follows_the_ticket(app, fake_channel, make_agent):
    me = make_agent()
    tickets = [fake_channel.receive("x", email=f"k{n}@example.net", subject=f"k{n}").ticket for n in range(3)]
    for t in tickets:
        assign(t, me)
        change_tags(t, add=["vip"])
    mine_open = {"tag": "vip", "assignee": "me", "status": ["open"]}
    with assert_query_count(2):  # tickets with customer, assignee and read marker; tags
        rows, _cursor = list_tickets(me, "all", mine_open)
    assert names(rows) == ["k2", "k1", "k0"] and rows[0].tags == ["vip"]
    close(Ticket.get_by_id(tickets[1].id))
    assert names(list_tickets(me, "all", mine_open)[0]) == ["k2", "k0"]
    assert names(list_tickets(me, "all", {**mine_open, "status": ["closed"]})[0]) == ["k1"]
    assign(Ticket.get_by_id(tickets[2].id), None)
    assert names(list_tickets(me, "all", mine_open)[0]) == ["k0"]
    assert names(list_tickets(me, "all", {**mine_open, "assignee": "none"})[0]) == ["k2"]
    change_tags(Ticket.get_by_id(tickets[0].id), remove=["vip"])
    assert list_tickets(me, "all", mine_open)[0] == []


@pytest.mark.parametrize("sort", ["updated", "created"])
@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("sides", ["after", "before", "both"])
def test_a_created_range_open_or_long_pages_like_a_full_ordered_read(
    app, fake_channel, make_agent, clock, order, sides, sort
):
    """A created range open on one side, or longer than a month, is walked
    on the days that hold each page (found first, one query): the pages
    hold the range's tickets once each, in (updated_at, id) order, also
    when tickets of different days share an update time, with or without
    other filters. The same for an updated range sorted by creation."""
    column, after_key, before_key = RANGES[sort]
    me = make_agent()
    start = clock.now()
    made = []
    for n in range(24):
        clock.advance(hours=7 if n % 6 else 80)  # days of 3 or 4 tickets (more than a page of 3), days of none
        made.append(fake_channel.receive(f"t{n}", email=f"o{n}@example.net", subject=f"t{n}").ticket)
        if n % 5 == 0:  # two tickets of one day share their creation instant
            made.append(fake_channel.receive(f"t{n}b", email=f"p{n}@example.net", subject=f"t{n}b").ticket)
    for t in made[::3]:
        assign(t, me)
    for n in (2, 9, 17, 5, 20):  # later activity, days after creation; 9, 17 and 5 at one instant
        if n not in (17, 5):
            clock.advance(hours=1)
        fake_channel.receive("again", email=f"o{n}@example.net")
    close(Ticket.get_by_id(made[4].id))
    window = {
        after_key: start + dt.timedelta(hours=90),
        # Assigning (after the last ticket, 460 hours in) updates tickets: an
        # updated range ending before it would hold none of mine.
        before_key: start + dt.timedelta(hours=420 if sort == "updated" else 462),
    }
    if sides == "after":
        del window[before_key]
    elif sides == "before":
        del window[after_key]
    else:
        window[after_key] = start - dt.timedelta(days=20)  # 47 days, the first 20 without a ticket
    assert _walk_days(window, sort) is None
    dated = getattr(Ticket, column)
    for extra in ({}, {"status": ["open"]}, {"assignee": "me"}):
        filters = {**window, **extra}
        full = Ticket.select(Ticket.id)
        if after_key in filters:
            full = full.where(dated >= filters[after_key])
        if before_key in filters:
            full = full.where(dated < filters[before_key])
        if "status" in extra:
            full = full.where(Ticket.status.in_(extra["status"]))
        if "assignee" in extra:
            full = full.where(Ticket.assignee == me.id)
        key = getattr(Ticket, f"{sort}_at")
        ordering = (key, Ticket.id) if order == "asc" else (key.desc(), Ticket.id.desc())
        expected = [t.id for t in full.order_by(*ordering)]
        assert len(expected) >= 5, filters
        assert _every_page(me, filters, order, sort=sort) == expected, filters
        assert _every_page(me, filters, order, limit=100, sort=sort) == expected, filters


def test_a_created_range_open_on_one_side_takes_three_queries(app, fake_channel, make_agent, clock):
    me = make_agent()
    start = clock.now()
    for n in range(6):
        clock.advance(hours=10)
        fake_channel.receive(f"t{n}", email=f"s{n}@example.net", subject=f"t{n}")
    with assert_query_count(3):  # the days that hold the page; the page; its tags
        rows, _cursor = list_tickets(me, "all", {"created_after": start + dt.timedelta(hours=15)})
    assert names(rows) == ["t5", "t4", "t3", "t2", "t1"]
    with assert_query_count(1):  # no day of the range holds a ticket: no page to read
        assert list_tickets(me, "all", {"created_before": start})[0] == []
    with assert_query_count(3):  # an updated range sorted by creation: the same three
        rows, _cursor = list_tickets(me, "all", {"updated_after": start + dt.timedelta(hours=15)}, sort="created")
    assert names(rows) == ["t5", "t4", "t3", "t2", "t1"]
