"""Event hooks: :func:`fire` calls a ``helpline_on_*`` hook on the live
plugins, and :func:`after_commit` runs work (usually a ``fire``) once the
current transaction has committed. :func:`defer` lets a hook hand its work
to one call per after-commit callback (a sweep closing 500 tickets fires
500 events in one callback: one task enqueue instead of 500).

The live event bus that feeds browsers is :mod:`app.bus`; ``get_bus`` is
re-exported here because services and tests import it from this module,
and :func:`publish` wraps the bus's to batch an after-commit callback's
events.
"""

from __future__ import annotations

import logging

from flask import current_app, g, has_app_context

from . import bus
from .bus import get_bus, make_bus
from .db import db
from .plugins import collect_event_errors, get_plugins, start_unit_of_work

__all__ = ["after_commit", "defer", "fire", "fire_each", "get_bus", "make_bus", "profile_updated", "publish"]

log = logging.getLogger(__name__)


def fire(hook_name, **kwargs):
    """Call an event hook on every live plugin, through pluggy (so wrappers
    and tracing see the call). Each implementation is isolated: its
    exception is logged with the plugin's name and the others still run.
    Under strict mode (tests, CI) the first failure is re-raised once all
    have run, with a note naming the plugin."""
    fire_each(hook_name, (kwargs,))


def fire_each(hook_name, calls):
    """:func:`fire` once for each dict of keyword arguments in ``calls``, in
    order, with the live plugins looked up once: for one event of many
    objects (a sweep's batch of 500 closes fires 1,000 events)."""
    plugins = get_plugins()
    caller = getattr(plugins.relay, hook_name)
    with collect_event_errors() as errors:
        for kwargs in calls:
            caller(**kwargs)
    if errors and plugins.strict:
        raise errors[0]


def after_commit(fn):
    """Run ``fn`` once the current transaction commits (now, if none), in
    a fresh unit of work."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            start_unit_of_work()
            g._helpline_deferred = {}
            try:
                fn()
            finally:
                _flush_deferred()

    db.after_commit(run)


def publish(event_type, data, to=None):
    """Send an event to every connected browser, or only to the pages of
    agent ``to`` (an id; see :mod:`app.bus`).
    Inside an after-commit callback the events are sent together when it
    has finished (in order, one Redis round trip), so a sweep's thousand
    events do not cost a thousand round trips."""
    if has_app_context() and g.get("_helpline_deferred") is not None:
        defer(bus.publish_batch, bus.event_for(event_type, data, to))
    else:
        bus.publish(event_type, data, to)


def defer(flush, item):
    """Hand ``item`` to ``flush(items)``, called once with every item
    deferred to the same ``flush`` when the current after-commit callback
    has finished (in deferral order). Outside an after-commit callback (a
    request, a task, a shell) ``flush([item])`` runs at once. For the event
    hooks whose work is cheaper per batch than per event (enqueueing a
    task, writing rows): a sweep fires hundreds of events in one callback.
    A failing ``flush`` is logged and the others still run; under strict
    mode the first failure is re-raised once all ran."""
    pending = g.get("_helpline_deferred") if has_app_context() else None
    if pending is None:
        flush([item])
        return
    pending.setdefault(flush, []).append(item)


def _flush_deferred():
    """Run each ``flush`` of :func:`defer` once with its items (isolated
    like event hooks); later deferrals in a flush run at once."""
    pending = g.pop("_helpline_deferred", None) or {}
    errors = []
    for flush, items in pending.items():
        try:
            flush(items)
        except Exception as exc:
            log.exception("deferred event work %s failed", getattr(flush, "__qualname__", flush))
            errors.append(exc)
    if errors and get_plugins().strict:
        raise errors[0]


def profile_updated(profile, changes):
    """Fire ``helpline_on_profile_updated`` once the current transaction
    commits. ``changes`` is ``{field: (old, new)}`` for each field that
    changed; nothing fires when it is empty. Call it from the code that
    saves the profile, inside its transaction."""
    if not changes:
        return
    changes = dict(changes)
    after_commit(lambda: fire("helpline_on_profile_updated", profile=profile, changes=changes))
