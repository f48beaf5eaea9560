"""Agents' saved event filters: a name and a metric, personal, reusable on
any customer's event list."""

from __future__ import annotations

import peewee
from flask_babel import gettext as _

from ..clock import now
from ..db import write_transaction
from ..models import EventView
from . import Conflict, NotFound, ServiceError

#: Saved event views per agent.
MAX_VIEWS = 50


def list_views(agent):
    """The agent's saved event views, by name."""
    return list(EventView.select().where(EventView.owner == agent.id).order_by(EventView.name, EventView.id))


def get_view(agent, view_id):
    """One of the agent's views; another agent's is NotFound."""
    view = EventView.get_or_none((EventView.id == view_id) & (EventView.owner == agent.id))
    if view is None:
        raise NotFound(_("Saved event view %(id)s does not exist.", id=view_id), code="not_found")
    return view


def create_view(agent, name, metric):
    """Save a metric filter under a name (unique per agent)."""
    name, metric = (name or "").strip(), (metric or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_("Give the view a name of 1 to 100 characters."), field="name")
    if not metric or len(metric) > 100:
        raise ServiceError(_("Choose a metric to filter by."), field="metric")
    with write_transaction():
        if EventView.select().where(EventView.owner == agent.id).count() >= MAX_VIEWS:
            raise Conflict(_("You have %(n)d saved event views; delete one first.", n=MAX_VIEWS), code="too_many")
        try:
            with write_transaction():
                return EventView.create(owner=agent, name=name, metric=metric, created_at=now())
        except peewee.IntegrityError:
            raise Conflict(_("You already have a view named %(name)s.", name=name), code="duplicate", field="name")


def delete_view(agent, view):
    """Delete one of the agent's views."""
    EventView.delete().where((EventView.id == view.id) & (EventView.owner == agent.id)).execute()
