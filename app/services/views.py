"""Ticket lists: the built-in views (My inbox, Unassigned, All tickets),
filters, saved custom views, and keyset pagination on indexed orders."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import operator

import marshmallow as ma
from flask_babel import gettext as _
from peewee import JOIN, SQL, Case, Select, Value, fn

from ..clock import now
from ..db import ShapedStatement, db, is_postgres
from ..models import (
    STATUSES,
    Agent,
    Profile,
    ReadMarker,
    ReadTally,
    SavedView,
    Tag,
    Ticket,
    TicketTag,
    TicketTagTally,
    TicketTally,
)
from ..permissions import can
from ..validation import Id, valid_id
from . import Forbidden, NotFound, ServiceError, search
from .tickets import tags_for

BUILTIN_VIEWS = ("mine", "unassigned", "all")
SORTS = {"updated": Ticket.updated_at, "created": Ticket.created_at}
# Best match first; needs a search text (filter ``text``).
RELEVANCE = "relevance"
MAX_LIMIT = 100


class FilterSchema(ma.Schema):
    """The filters a list or a saved view may carry."""

    status = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(("open", "snoozed", "closed"))))
    channel = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=32)))
    assignee = ma.fields.String(validate=ma.validate.Regexp(r"^(me|none|\d+)$", error="Use me, none or an agent id."))

    @ma.validates("assignee")
    def _assignee_in_range(self, value, **kwargs):
        if value.isdigit() and not valid_id(int(value)):
            raise ma.ValidationError(_("Use me, none or an agent id."))

    tag = ma.fields.String(validate=ma.validate.Length(max=64))
    profile = Id()
    text = ma.fields.String(validate=ma.validate.Length(max=200))
    created_after = ma.fields.NaiveDateTime()
    created_before = ma.fields.NaiveDateTime()
    updated_after = ma.fields.NaiveDateTime()
    updated_before = ma.fields.NaiveDateTime()


def _apply_filters(query, agent, filters):
    f = filters or {}
    if f.get("status"):
        query = query.where(Ticket.status.in_(f["status"]))
    if f.get("channel"):
        query = query.where(Ticket.channel.in_(f["channel"]))
    assignee = f.get("assignee")
    if assignee == "me":
        query = query.where(Ticket.assignee == agent.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee:
        query = query.where(Ticket.assignee == int(assignee))
    if f.get("tag"):
        # EXISTS per candidate row (the ticket_tag (ticket, tag) index), so
        # the list keeps walking its sort index and stops after one page,
        # instead of reading and sorting every ticket with the tag.
        tag = Tag.select(Tag.id).where(Tag.name == f["tag"].strip().lower())
        query = query.where(
            fn.EXISTS(TicketTag.select(SQL("1")).where((TicketTag.ticket == Ticket.id) & (TicketTag.tag == tag)))
        )
    if f.get("profile"):
        query = query.where(Ticket.profile == f["profile"])
    if f.get("text"):
        query = query.where(Ticket.id.in_(search.matching_ids(f["text"])))
    for key, field, op in (
        ("created_after", Ticket.created_at, "ge"),
        ("created_before", Ticket.created_at, "lt"),
        ("updated_after", Ticket.updated_at, "ge"),
        ("updated_before", Ticket.updated_at, "lt"),
    ):
        if f.get(key):
            query = query.where(field >= f[key] if op == "ge" else field < f[key])
    return query


def view_filters(agent, view):
    """The filters a view stands for: a built-in name or a saved view id."""
    if view in (None, "", "mine"):
        return {"status": ["open"], "assignee": "me"}
    if view == "unassigned":
        return {"status": ["open"], "assignee": "none"}
    if view == "all":
        return {}
    saved = get_saved_view(agent, view)
    return dict(saved.filters)


def merged_filters(agent, view, filters):
    """A view's own filters with the caller's on top; empty values (an
    untouched form field, ``status: []``) do not override the view's."""
    extra = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
    return {**view_filters(agent, view), **extra}


# What a list row shows (the API's TicketSchema, the inbox's rows) and what
# its unread flag and cursor need: a list's tickets carry no other column.
# Reading (and building models from) only these keeps a page cheap.
LIST_COLUMNS = (
    Ticket.id,
    Ticket.channel,
    Ticket.profile,
    Ticket.status,
    Ticket.assignee,
    Ticket.subject,
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.snoozed_until,
    Ticket.closed_at,
    Ticket.closed_reason,
    Ticket.last_message_preview,
    Ticket.last_inbound_message_id,
)


def base_query(agent, filters):
    # Lists show the customer's name and contacts and the assignee's name.
    query = (
        Ticket.select(*LIST_COLUMNS, Profile.id, Profile.name, Profile.email, Profile.phone, Agent.id, Agent.name)
        .join(Profile, on=(Ticket.profile == Profile.id))
        .switch(Ticket)
        .join(Agent, JOIN.LEFT_OUTER, on=(Ticket.assignee == Agent.id))
    )
    return _apply_filters(query, agent, filters)


def encode_cursor(sort, order, ticket):
    if sort == RELEVANCE:
        value = ticket.search_score
    else:
        value = getattr(ticket, "updated_at" if sort == "updated" else "created_at").isoformat()
    raw = json.dumps({"s": sort, "o": order, "v": value, "i": ticket.id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, sort, order):
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw["s"] != sort or raw["o"] != order:
            raise ValueError
        if not valid_id(raw["i"]):
            raise ValueError
        value = float(raw["v"]) if sort == RELEVANCE else dt.datetime.fromisoformat(raw["v"])
        return value, raw["i"]
    except (ValueError, KeyError, TypeError):
        raise ServiceError(_("The cursor is not valid for this list."), code="invalid_cursor", field="cursor")


def list_tickets(agent, view="mine", filters=None, sort=None, order="desc", limit=25, cursor=None):
    """One page of a view: ``(tickets, next_cursor)``. Each ticket carries
    ``.tags`` (one more query) and ``.unread`` (for ``agent``), and only the
    columns of ``LIST_COLUMNS``.

    ``sort`` is ``updated``, ``created`` or ``relevance`` (best match first,
    ``order`` ignored; each ticket then carries ``.search_score``); by default
    ``relevance`` with a search text, else ``updated``."""
    merged = merged_filters(agent, view, filters)
    searching = bool(merged.get("text"))
    if sort is None:
        sort = RELEVANCE if searching else "updated"
    if sort == RELEVANCE and not searching:
        raise ServiceError(_("Sort by relevance needs a search text."), field="sort")
    if (sort not in SORTS and sort != RELEVANCE) or order not in ("asc", "desc"):
        raise ServiceError(_("Sort by updated, created or relevance, ascending or descending."), field="sort")
    if sort == RELEVANCE:
        order = "asc"  # lower scores are better matches
    limit = max(1, min(int(limit or 25), MAX_LIMIT))
    shape, values = _page_inputs(agent, merged, sort, order, cursor, limit + 1)
    if "text" in values:
        # A search's SQL follows its words: built for each request.
        with search.planned():
            rows = list(_page_query(shape, values))
    elif values.get("walk_days") == []:
        rows = []  # a long date range none of whose days holds a match
    else:
        # Building the SQL of a page cost more CPU than running it: built
        # once per shape (which filters, how many statuses, ...).
        rows = _PAGE.rows(shape, values)
    more = len(rows) > limit
    rows = rows[:limit]
    if sort == RELEVANCE:
        for row in rows:  # peewee keeps a joined CTE's columns in a dict
            row.search_score = row.search_hit["search_score"]
    tags = tags_for([t.id for t in rows])
    for t in rows:
        t.tags = tags[t.id]
        t.unread = (t.last_inbound_message_id or 0) > t.read_upto
    return rows, (encode_cursor(sort, order, rows[-1]) if more and rows else None)


# The values of a page's query that are not filters.
_PAGE_VALUES = ("agent", "page_size", "after", "after_id", "walk_days")

# A range of one date sorted by the other of at most this many days is walked
# day by day (see _page_query); a longer one on the days that hold the page.
DAY_WALK_MAX_DAYS = 31

# For each sort, the date whose range is walked by day, its filters, and the
# index that holds each day's tickets in the sort's order: ticket
# (date(created_at), updated_at, id) (0018), (date(updated_at), created_at,
# id) (0021).
_DAY_WALKS = {
    "updated": (Ticket.created_at, "created_after", "created_before"),
    "created": (Ticket.updated_at, "updated_after", "updated_before"),
}


def _walk_days(filters, sort="updated"):
    """The days (``YYYY-MM-DD``, UTC) the range of the other date than
    ``sort``'s covers (a created range for ``updated``), or None when the
    range is open on one side, empty or longer than :data:`DAY_WALK_MAX_DAYS`."""
    _column, after_key, before_key = _DAY_WALKS[sort]
    after, before = filters.get(after_key), filters.get(before_key)
    if not after or not before or before <= after:
        return None
    first, last = after.date(), (before - dt.timedelta(microseconds=1)).date()
    days = (last - first).days + 1
    if days > DAY_WALK_MAX_DAYS:
        return None
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(days)]


def _page_inputs(agent, filters, sort, order, cursor, page_size):
    """``(shape, values)`` of a page's query: ``values`` are what it binds
    (the agent's id, the filters' values, the cursor's, the page size), as
    the query binds them; ``shape`` the rest."""
    values = {"agent": agent.id, "page_size": page_size}
    unassigned = False
    for key, value in filters.items():
        if not value:  # an empty filter filters nothing (as in _apply_filters)
            continue
        if key == "assignee":
            if value == "none":
                unassigned = True
                continue
            value = agent.id if value == "me" else int(value)
        elif key == "tag":
            value = value.strip().lower()
        elif key == "status":
            value = list(dict.fromkeys(value))  # a status given twice is walked once (_tag_walk)
        values[key] = value
    if cursor:
        values["after"], values["after_id"] = decode_cursor(cursor, sort, order)
    walked = _DAY_WALKS.get(sort)
    if walked and "text" not in values and (walked[1] in values or walked[2] in values):
        days = _walk_days(values, sort)
        if days is None:
            days = _page_days((sort, order, unassigned), values)
        values["walk_days"] = days
    return (sort, order, unassigned), values


def _page_days(shape, values):
    """The days (``YYYY-MM-DD``) that hold the page of a created range open
    on one side or longer than :data:`DAY_WALK_MAX_DAYS`, sorted by update
    (or such an updated range sorted by creation: the same with the dates
    swapped), so the page is walked day by day on those days only (one
    query).

    Each day of the range (an open side ends at the first or last ticket's
    day) gives its newest matching ``updated_at`` after the cursor (oldest
    when ascending): one walk of ``ticket (date(created_at), updated_at,
    id)`` from the day's end, stopping at its first match. No row of the
    page is older than the ``page_size``-th newest of these (those are
    ``page_size`` rows), nor than the ``page_size``-th newest row of the day
    with the newest (read in the same query): the page comes from the days
    whose newest is at least the newer of the two."""
    desc = shape[1] == "desc"
    bound = {k: v for k, v in values.items() if k not in ("agent", "page_size", "walk_days")}
    rows = _RANGE_DAYS.rows(shape, {**bound, "kth": values["page_size"] - 1})
    marks = sorted((m for _d, m, _k in rows if m is not None), reverse=desc)
    if not marks:
        return []
    bounds = [marks[min(len(marks), values["page_size"]) - 1]] + [k for _d, _m, k in rows[:1] if k is not None]
    least = max(bounds) if desc else min(bounds)
    return sorted(str(d) for d, m, _k in rows if m is not None and (m >= least if desc else m <= least))


def _range_days_query(shape, values):
    """Each day of the created range (updated, sorted by creation) with its
    newest (oldest, ascending) matching sort key after the cursor, or NULL;
    and on every row the ``kth``-from-0 newest of the day with the newest of
    all, or NULL."""
    sort, order, unassigned = shape
    day_column, after_key, before_key = _DAY_WALKS[sort]
    filters = {k: v for k, v in values.items() if k not in (*_PAGE_VALUES, "kth")}
    if unassigned:
        filters["assignee"] = "none"
    first = Ticket.select(fn.DATE(fn.MIN(day_column)))
    last = Ticket.select(fn.DATE(fn.MAX(day_column)))
    clip_first, clip_last = (fn.GREATEST, fn.LEAST) if is_postgres() else (fn.MAX, fn.MIN)
    if after_key in filters:
        first = clip_first(fn.DATE(filters[after_key]), first)
    if before_key in filters:
        last = clip_last(fn.DATE(filters[before_key]), last)
    days = Select(columns=[first.alias("d")]).cte("range_days", recursive=True, columns=("d",))
    following = (days.c.d + SQL("1")) if is_postgres() else fn.DATE(days.c.d, "+1 day")
    days = days.union_all(Select(from_list=[days], columns=[following]).where(days.c.d < last))
    key = SORTS[sort]
    ordering = (key.desc(), Ticket.id.desc()) if order == "desc" else (key.asc(), Ticket.id.asc())

    def walk(day, within=None):
        query = _after_cursor(
            _apply_filters(Ticket.select(key), None, filters if within is None else within), key, order, values
        )
        return query.where(fn.DATE(day_column) == day).order_by(*ordering)

    # A day inside the range needs no test of each ticket's date, which the
    # index does not hold (a read of the ticket per day: 338 at 1M).
    inner = {k: v for k, v in filters.items() if k not in (after_key, before_key)}
    newest = walk(days.c.d, inner)
    if after_key in filters:
        after = filters[after_key]
        newest = newest.where((days.c.d > fn.DATE(after)) | (day_column >= after))
    if before_key in filters:
        before = filters[before_key]
        newest = newest.where((days.c.d < fn.DATE(before)) | (day_column < before))
    newest = newest.limit(1)
    marks = Select(from_list=[days], columns=[days.c.d, newest.alias("m")]).cte("range_marks", materialized=True)
    top = Select(from_list=[marks], columns=[marks.c.d]).where(marks.c.m.is_null(False))
    top = top.order_by(marks.c.m.desc() if order == "desc" else marks.c.m.asc()).limit(1)
    kth = walk(top).limit(1).offset(values["kth"])
    query = Select(from_list=[marks], columns=[marks.c.d, marks.c.m, kth.alias("k")]).with_cte(days, marks)
    return query.bind(db).tuples()


_RANGE_DAYS = ShapedStatement(_range_days_query)


def _after_cursor(query, key, order, values, id_column=Ticket.id):
    """``query`` limited to the rows after the cursor's, if any."""
    if "after" not in values:
        return query
    value, last_id = values["after"], values["after_id"]
    if order == "desc":
        return query.where((key < value) | ((key == value) & (id_column < last_id)))
    return query.where((key > value) | ((key == value) & (id_column > last_id)))


# The filters a tagged list can apply to the tag's rows alone (their copies
# of the ticket's columns, migration 0020).
_TAG_WALKED = frozenset({"tag", "assignee", "status", "channel", "updated_after", "updated_before"})


def _tag_walk(filters, order, values, unassigned):
    """The ids (and ``updated_at`` as ``k``) of a page of a list sorted by
    update with a tag, from the tag's rows: one walk per status, each
    stopping after a page, merged. With an assignee (or none) on
    ``ticket_tag_list (tag_id, status, assignee_id, updated_at, ticket_id,
    channel)``, else on ``ticket_tag_status_list (tag_id, status,
    updated_at, ticket_id, channel)`` (migration 0021). None when the list
    has other filters (they live on the ticket)."""
    if "tag" not in filters or not set(filters) <= _TAG_WALKED:
        return None
    tag = Tag.select(Tag.id).where(Tag.name == filters["tag"])
    key = TicketTag.updated_at
    ordering = (key.desc(), TicketTag.ticket.desc()) if order == "desc" else (key.asc(), TicketTag.ticket.asc())
    walks = []
    for i, status in enumerate(filters.get("status") or STATUSES):
        walk = TicketTag.select(TicketTag.ticket.alias("id"), key.alias("k")).where(
            (TicketTag.tag == tag) & (TicketTag.status == status)
        )
        if unassigned or "assignee" in filters:
            # The rows copy no assignee as 0 (an equality keeps the index order).
            walk = walk.where(TicketTag.assignee_id == (0 if unassigned else filters["assignee"]))
        if filters.get("channel"):
            walk = walk.where(TicketTag.channel.in_(filters["channel"]))
        if filters.get("updated_after"):
            walk = walk.where(key >= filters["updated_after"])
        if filters.get("updated_before"):
            walk = walk.where(key < filters["updated_before"])
        walk = _after_cursor(walk, key, order, values, TicketTag.ticket)
        walk = walk.order_by(*ordering).limit(values["page_size"])
        walks.append(Select(from_list=[walk.alias(f"tagged{i}")], columns=[SQL("*")]))
    return _merged_ids(walks, order)


def _merged_ids(walks, order):
    """The ids of ``walks`` (subqueries of ``id`` and sort key ``k``, each
    already limited to a page), merged by ``UNION ALL`` in (k, id) order."""
    merged = functools.reduce(operator.add, walks).alias("merged")
    return _ids_in_order(merged, order)


def _ids_in_order(subquery, order):
    """``SELECT id FROM subquery ORDER BY k, id`` (both descending for ``desc``)."""
    key, ids = subquery.c.k, subquery.c.id
    ordering = (key.desc(), ids.desc()) if order == "desc" else (key.asc(), ids.asc())
    return Select(from_list=[subquery], columns=[ids]).order_by(*ordering)


def _page_query(shape, values):
    """The query of one page (one more row than the page shows), for
    :func:`_page_inputs`' shape and values."""
    sort, order, unassigned = shape
    filters = {k: v for k, v in values.items() if k not in _PAGE_VALUES}
    if unassigned:
        filters["assignee"] = "none"
    if sort == RELEVANCE:
        hits = search.ranked(filters.pop("text"))
        query = (
            base_query(None, filters)
            .select_extend(hits.c.score.alias("search_score"))
            .join(hits, on=(Ticket.id == hits.c.ticket_id), src=Ticket, attr="search_hit")
            .with_cte(hits)
        )
        key = hits.c.score
        ids_first = False
    else:
        key = SORTS[sort]
        # A range of one date sorted by the other reads every ticket in the
        # range and sorts them: pick the page's ids from the ticket table
        # alone, then join the customer and assignee for those rows only
        # (not for each ticket of the range). Other lists walk their sort
        # index and stop after a page: the plain query is cheaper there.
        other = ("created_after", "created_before") if sort == "updated" else ("updated_after", "updated_before")
        ids_first = any(k in filters for k in other)
        query = _apply_filters(Ticket.select(Ticket.id), None, filters) if ids_first else base_query(None, filters)
    ordering = (key.desc(), Ticket.id.desc()) if order == "desc" else (key.asc(), Ticket.id.asc())
    tagged_walk = _tag_walk(filters, order, values, unassigned) if sort == "updated" else None
    if tagged_walk is not None:
        # A tag: walk that tag's rows (of the agent, if one is given) in
        # update order instead of every ticket of the statuses (or of the
        # agent), probing each for the tag (all 16,667 open email tickets of
        # an agent at 1M for a tag none of them carries, all 300,000 open
        # tickets for one a few of them carry; now the tag's open rows).
        query, ids_first = tagged_walk, True
    elif "walk_days" in values:
        # A created range of a few days sorted by update: each day's tickets
        # are walked in update order on ticket (date(created_at), updated_at,
        # id) and the walk stops after a page, so a page reads at most a page
        # per day, not every ticket of the range (20,160 for a week at 1M);
        # the days' pages are then merged. Exact: the page's rows are the
        # first of the range in (updated_at, id) order, cursor included. An
        # updated range sorted by creation the same way on ticket
        # (date(updated_at), created_at, id).
        day_column = _DAY_WALKS[sort][0]
        days = []
        for i, day in enumerate(values["walk_days"]):
            walk = _after_cursor(query.select(Ticket.id, key.alias("k")), key, order, values)
            walk = walk.where(fn.DATE(day_column) == day).order_by(*ordering).limit(values["page_size"])
            days.append(Select(from_list=[walk.alias(f"day{i}")], columns=[SQL("*")]))
        query = _merged_ids(days, order)
    elif ids_first and is_postgres():
        # PostgreSQL expects the range's tickets spread over the sort index
        # and walks it from the end, testing each row (800,000 of them for
        # a week in March at 1M, 400 ms). OFFSET 0 keeps the range its own
        # subquery: read it by its index, then sort it.
        fenced = _after_cursor(query, key, order, values).select(Ticket.id, key.alias("k")).offset(0)
        query = _ids_in_order(fenced.alias("in_range"), order)
    else:
        query = _after_cursor(query, key, order, values).order_by(*ordering)
    limit = values["page_size"]
    if "tag" in filters and tagged_walk is None:
        # When no ticket has the tag in these statuses (the counter rows say
        # so), the query ends before it reads a ticket, instead of walking
        # every ticket of the other filters to find none (all of an agent's
        # 16,667 open email tickets at 1M for a tag only closed tickets
        # carry). The test runs once: PostgreSQL runs a WHERE term that
        # does not depend on the row as a one-time filter; SQLite tests such
        # a term (holding a subquery) for each row, but evaluates its LIMIT
        # once, and a LIMIT of 0 reads nothing.
        tagged = _tagged(filters) > 0
        if is_postgres():
            query = query.where(tagged)
        else:
            limit = Case(None, [(tagged, limit)], 0)
    query = query.limit(limit)
    if ids_first:
        query = base_query(None, None).where(Ticket.id.in_(query)).order_by(*ordering)
    # The agent's read marker, joined on its unique (agent, ticket) index, is
    # read for the page's rows only: unread without a query of its own.
    marker = ReadMarker.alias()
    return query.join(
        marker, JOIN.LEFT_OUTER, on=((marker.ticket == Ticket.id) & (marker.agent == values["agent"])), src=Ticket
    ).select_extend(fn.COALESCE(marker.last_read_message_id, 0).alias("read_upto"))


_PAGE = ShapedStatement(_page_query)


def annotate(agent, tickets):
    """Each ticket's ``.tags`` and ``.unread`` (for ``agent``), in two queries."""
    ids = [t.id for t in tickets]
    tags = tags_for(ids)
    unread = unread_ids(agent, tickets)
    for t in tickets:
        t.tags = tags[t.id]
        t.unread = t.id in unread


def ticket_ids(agent, view="all", filters=None, limit=1000):
    """Ids of the tickets a view and filters select, oldest first, at most
    ``limit`` (bulk actions by view)."""
    merged = merged_filters(agent, view, filters)
    query = base_query(agent, merged).select(Ticket.id).order_by(Ticket.id)
    with search.planned(bool(merged.get("text"))):
        return [row.id for row in query.limit(limit)]


# Counts that no counter row answers (a search text, a date range, a
# profile, a tag with a channel or an assignee) stop at this many tickets:
# the navigation shows "999+" rather than reading every match.
COUNT_CAP = 1000
_TALLIED = frozenset({"status", "channel", "assignee"})
_TAG_TALLIED = frozenset({"status", "tag"})


def _given(filters):
    return {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}


def _assignee_key(agent, assignee):
    if assignee == "me":
        return agent.id
    return 0 if assignee == "none" else int(assignee)


def _tally_count(agent, filters):
    """A scalar subquery summing the counter rows (``app.models.tally``)
    that hold this filter set's count, or None when no counter does."""
    f = _given(filters)
    if set(f) <= _TALLIED:
        query = TicketTally.select(fn.COALESCE(fn.SUM(TicketTally.n), 0))
        if f.get("status"):
            query = query.where(TicketTally.status.in_(f["status"]))
        if f.get("channel"):
            query = query.where(TicketTally.channel.in_(f["channel"]))
        if f.get("assignee"):
            query = query.where(TicketTally.assignee_id == _assignee_key(agent, f["assignee"]))
        return query
    if set(f) <= _TAG_TALLIED:
        return _tagged(f)
    return None


def _tagged(filters):
    """A scalar subquery: the tickets with ``filters``' tag in its statuses
    (every status without a status filter), from the counter rows."""
    tag = Tag.select(Tag.id).where(Tag.name == filters["tag"].strip().lower())
    query = TicketTagTally.select(fn.COALESCE(fn.SUM(TicketTagTally.n), 0)).where(TicketTagTally.tag_id == tag)
    if filters.get("status"):
        query = query.where(TicketTagTally.status.in_(filters["status"]))
    return query


def count_is_exact(filters):
    """False when a count of ``filters`` stops at :data:`COUNT_CAP`."""
    f = _given(filters)
    return set(f) <= _TALLIED or set(f) <= _TAG_TALLIED


def _count_query(agent, filters):
    tallied = _tally_count(agent, filters)
    if tallied is not None:
        return tallied
    matches = _apply_filters(Ticket.select(SQL("1")), agent, filters).limit(COUNT_CAP)
    return Select(from_list=[matches.alias("capped")], columns=[fn.COUNT(SQL("*"))])


def count(agent, view="mine", filters=None):
    """How many tickets a view (with extra ``filters``) holds: exact from
    the counter rows for status, channel and assignee filters (or a tag with
    a status), else up to :data:`COUNT_CAP` (see :func:`count_is_exact`)."""
    merged = merged_filters(agent, view, filters)
    with search.planned(bool(merged.get("text"))):
        return _scalar(_count_query(agent, merged))


def _scalar(part):
    return int(db.execute(Select(columns=[part.alias("n")])).fetchone()[0] or 0)


def counts(agent, filter_sets, unread_views=()):
    """``(counts, unread)``: the tickets each of ``filter_sets`` (complete
    filters, as :func:`merged_filters` makes them) selects, as :func:`count`
    counts them, and the unread count of each view in ``unread_views``, all
    in one query whatever the number of views (the navigation's badges)."""
    unread_filters = [_unread_filters(agent, v) for v in unread_views]
    parts = [_count_query(agent, f) for f in filter_sets] + [
        _unread_query(agent, v, f) for v, f in zip(unread_views, unread_filters)
    ]
    if not parts:
        return [], []
    with search.planned(any(f and f.get("text") for f in (*filter_sets, *unread_filters))):
        row = db.execute(Select(columns=[part.alias(f"c{i}") for i, part in enumerate(parts)])).fetchone()
    values = [int(v or 0) for v in row]
    return values[: len(filter_sets)], values[len(filter_sets) :]


# --- unread ----------------------------------------------------------------


def unread_ids(agent, tickets):
    if agent is None or not tickets:
        return set()
    markers = dict(
        ReadMarker.select(ReadMarker.ticket, ReadMarker.last_read_message_id)
        .where((ReadMarker.agent == agent.id) & ReadMarker.ticket.in_([t.id for t in tickets]))
        .tuples()
    )
    return {t.id for t in tickets if (t.last_inbound_message_id or 0) > markers.get(t.id, 0)}


# The built-in views whose unread count the counter rows hold: open
# tickets assigned to the agent (``own`` 1) or to nobody (``own`` 0).
_UNREAD_TALLIED = {"mine": 1, "unassigned": 0}


def _unread_own(view):
    """``own`` of the counter rows holding ``view``'s unread count, or None."""
    return _UNREAD_TALLIED.get(view if view not in (None, "") else "mine")


def _unread_filters(agent, view):
    """The filters a view's unread count applies to the tickets; None
    when counter rows answer it (My inbox, Unassigned)."""
    return None if _unread_own(view) is not None else view_filters(agent, view)


def _unread_query(agent, view, filters):
    own = _unread_own(view)
    if own is not None:
        # Tickets with an inbound message, less those the agent has read.
        with_inbound = TicketTally.select(fn.COALESCE(fn.SUM(TicketTally.n_inbound), 0)).where(
            (TicketTally.status == "open") & (TicketTally.assignee_id == (agent.id if own else 0))
        )
        read = ReadTally.select(fn.COALESCE(fn.SUM(ReadTally.n), 0)).where(
            (ReadTally.agent_id == agent.id) & (ReadTally.own == own)
        )
        return fn.COALESCE(with_inbound, 0) - fn.COALESCE(read, 0)
    # Other views (All, saved views): counted from the tickets, stopping at
    # COUNT_CAP like their ticket counts, so the cost stays bounded at 1M.
    marker = ReadMarker.alias()
    query = (
        Ticket.select(SQL("1"))
        .join(marker, JOIN.LEFT_OUTER, on=((marker.ticket == Ticket.id) & (marker.agent == agent.id)))
        .where(Ticket.last_inbound_message_id > fn.COALESCE(marker.last_read_message_id, 0))
    )
    matches = _apply_filters(query, agent, filters).limit(COUNT_CAP)
    return Select(from_list=[matches.alias("unread")], columns=[fn.COUNT(SQL("*"))])


def unread_count(agent, view="mine"):
    """Tickets in a view with inbound messages the agent has not read:
    exact for My inbox and Unassigned (counter rows), up to
    :data:`COUNT_CAP` for the other views."""
    filters = _unread_filters(agent, view)
    with search.planned(bool(filters and filters.get("text"))):
        return _scalar(_unread_query(agent, view, filters))


def mark_read(agent, ticket, message_id=None):
    upto = message_id or ticket.last_inbound_message_id or 0
    row = Ticket.select(Value(agent.id), Ticket.id, Value(upto)).where(Ticket.id == ticket.id)
    if is_postgres():
        # The read counters' trigger reads the ticket's state: a share lock
        # on its row makes a concurrent close or assign either wait for this
        # marker or be seen by it, never counted by neither (read committed
        # would let both triggers miss each other's change).
        row = row.for_update("FOR SHARE")
    (
        ReadMarker.insert_from(row, [ReadMarker.agent, ReadMarker.ticket, ReadMarker.last_read_message_id])
        .on_conflict(
            conflict_target=[ReadMarker.agent, ReadMarker.ticket],
            # never move a marker backwards
            update={
                ReadMarker.last_read_message_id: Case(
                    None, [(ReadMarker.last_read_message_id < upto, upto)], ReadMarker.last_read_message_id
                )
            },
        )
        .execute()
    )


# --- saved views ---------------------------------------------------------


def visible_views(agent):
    return list(
        SavedView.select()
        .where((SavedView.owner == agent.id) | (SavedView.shared == True))
        .order_by(SavedView.shared, SavedView.position, SavedView.id)
    )


def get_saved_view(agent, view_id):
    try:
        view_id = int(view_id)
    except (TypeError, ValueError):
        raise ServiceError(_("Unknown view %(v)s.", v=view_id), code="unknown_view", field="view")
    view = SavedView.get_or_none(SavedView.id == view_id)
    if view is None or not (view.shared or view.owner_id == agent.id):
        raise NotFound(_("View %(v)s does not exist.", v=view_id), code="not_found")
    return view


def _check_shared(agent, shared):
    if shared and not can(agent, "shared_views"):
        raise Forbidden(_("Only managers and above can share views."))


def create_view(agent, name, filters, shared=False):
    _check_shared(agent, shared)
    clean = FilterSchema().load(filters or {})
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_("A view needs a name of at most 100 characters."), field="name")
    position = (SavedView.select(fn.MAX(SavedView.position)).where(SavedView.owner == agent.id).scalar() or 0) + 1
    return SavedView.create(
        name=name,
        owner=agent,
        shared=bool(shared),
        filters=FilterSchema().dump(clean),
        position=position,
        created_at=now(),
    )


def update_view(agent, view, name=None, filters=None, shared=None):
    if view.owner_id != agent.id and not (view.shared and can(agent, "shared_views")):
        raise Forbidden(_("You cannot change this view."))
    if shared is not None:
        _check_shared(agent, shared)
        view.shared = bool(shared)
    if name is not None:
        if not name.strip() or len(name) > 100:
            raise ServiceError(_("A view needs a name of at most 100 characters."), field="name")
        view.name = name.strip()
    if filters is not None:
        view.filters = FilterSchema().dump(FilterSchema().load(filters))
    view.save()
    return view


def delete_view(agent, view):
    if view.owner_id != agent.id and not (view.shared and can(agent, "shared_views")):
        raise Forbidden(_("You cannot delete this view."))
    view.delete_instance()
