"""Ticket lists: the built-in views (My inbox, Unassigned, All tickets),
filters, saved custom views, and keyset pagination on indexed orders."""

from __future__ import annotations

import base64
import datetime as dt
import json

import marshmallow as ma
from flask_babel import gettext as _
from peewee import JOIN, SQL, Case, Select, fn

from ..clock import now
from ..db import db
from ..models import Agent, Profile, ReadMarker, SavedView, Tag, Ticket, TicketTag
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


def base_query(agent, filters):
    # Lists show the customer's name and contacts and the assignee's name:
    # reading (and building models from) only those keeps a page cheap.
    query = (
        Ticket.select(Ticket, Profile.id, Profile.name, Profile.email, Profile.phone, Agent.id, Agent.name)
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
    ``.tags`` and ``.unread`` (for ``agent``), loaded with two more queries.

    ``sort`` is ``updated``, ``created`` or ``relevance`` (best match first,
    ``order`` ignored; each ticket then carries ``.search_score``); by default
    ``relevance`` with a search text, else ``updated``."""
    merged = merged_filters(agent, view, filters)
    if sort is None:
        sort = RELEVANCE if merged.get("text") else "updated"
    if sort == RELEVANCE and not merged.get("text"):
        raise ServiceError(_("Sort by relevance needs a search text."), field="sort")
    if (sort not in SORTS and sort != RELEVANCE) or order not in ("asc", "desc"):
        raise ServiceError(_("Sort by updated, created or relevance, ascending or descending."), field="sort")
    limit = max(1, min(int(limit or 25), MAX_LIMIT))
    if sort == RELEVANCE:
        order = "asc"  # lower scores are better matches
        text = merged.pop("text")
        hits = search.ranked(text)
        query = (
            base_query(agent, merged)
            .select_extend(hits.c.score.alias("search_score"))
            .join(hits, on=(Ticket.id == hits.c.ticket_id), src=Ticket, attr="search_hit")
            .with_cte(hits)
        )
        key = hits.c.score
    else:
        key = SORTS[sort]
        query = base_query(agent, merged)
    if cursor:
        value, last_id = decode_cursor(cursor, sort, order)
        if order == "desc":
            query = query.where((key < value) | ((key == value) & (Ticket.id < last_id)))
        else:
            query = query.where((key > value) | ((key == value) & (Ticket.id > last_id)))
    ordering = (key.desc(), Ticket.id.desc()) if order == "desc" else (key.asc(), Ticket.id.asc())
    rows = list(query.order_by(*ordering).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    if sort == RELEVANCE:
        for row in rows:  # peewee keeps a joined CTE's columns in a dict
            row.search_score = row.search_hit["search_score"]
    annotate(agent, rows)
    return rows, (encode_cursor(sort, order, rows[-1]) if more and rows else None)


def annotate(agent, tickets):
    ids = [t.id for t in tickets]
    tags = tags_for(ids)
    unread = unread_ids(agent, tickets)
    for t in tickets:
        t.tags = tags[t.id]
        t.unread = t.id in unread


def ticket_ids(agent, view="all", filters=None, limit=1000):
    """Ids of the tickets a view and filters select, oldest first, at most
    ``limit`` (bulk actions by view)."""
    query = base_query(agent, merged_filters(agent, view, filters)).select(Ticket.id).order_by(Ticket.id)
    return [row.id for row in query.limit(limit)]


def _count_query(agent, filters):
    return _apply_filters(Ticket.select(fn.COUNT(Ticket.id)), agent, filters)


def count(agent, view="mine", filters=None):
    """How many tickets a view (with extra ``filters``) holds."""
    return _count_query(agent, merged_filters(agent, view, filters)).scalar() or 0


def counts(agent, filter_sets, unread_views=()):
    """``(counts, unread)``: the tickets each of ``filter_sets`` (complete
    filters, as :func:`merged_filters` makes them) selects, and the unread
    count of each view in ``unread_views``, all in one query whatever the
    number of views (the navigation's badges)."""
    parts = [_count_query(agent, f) for f in filter_sets] + [_unread_query(agent, v) for v in unread_views]
    if not parts:
        return [], []
    row = db.execute(Select(columns=[part.alias(f"c{i}") for i, part in enumerate(parts)])).fetchone()
    values = [v or 0 for v in row]
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


def _unread_query(agent, view):
    marker = ReadMarker.alias()
    query = (
        Ticket.select(fn.COUNT(Ticket.id))
        .join(marker, JOIN.LEFT_OUTER, on=((marker.ticket == Ticket.id) & (marker.agent == agent.id)))
        .where(Ticket.last_inbound_message_id > fn.COALESCE(marker.last_read_message_id, 0))
    )
    return _apply_filters(query, agent, view_filters(agent, view))


def unread_count(agent, view="mine"):
    """Tickets in a view with inbound messages the agent has not read."""
    return _unread_query(agent, view).scalar() or 0


def mark_read(agent, ticket, message_id=None):
    upto = message_id or ticket.last_inbound_message_id or 0
    (
        ReadMarker.insert(agent=agent.id, ticket=ticket.id, last_read_message_id=upto)
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
