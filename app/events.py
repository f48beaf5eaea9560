"""Event hooks: :func:`fire` calls a ``helpline_on_*`` hook on the live
plugins, and :func:`after_commit` runs work (usually a ``fire``) once the
current transaction has committed.

The live event bus that feeds browsers is :mod:`app.bus`; ``publish`` and
``get_bus`` are re-exported here because services and tests import them
from this module.
"""

from __future__ import annotations

from flask import current_app

from .bus import get_bus, make_bus, publish
from .db import db
from .plugins import collect_event_errors, get_plugins, start_unit_of_work

__all__ = ["after_commit", "fire", "get_bus", "make_bus", "profile_updated", "publish"]


def fire(hook_name, **kwargs):
    """Call an event hook on every live plugin, through pluggy (so wrappers
    and tracing see the call). Each implementation is isolated: its
    exception is logged with the plugin's name and the others still run.
    Under strict mode (tests, CI) the first failure is re-raised once all
    have run, with a note naming the plugin."""
    plugins = get_plugins()
    with collect_event_errors() as errors:
        getattr(plugins.relay, hook_name)(**kwargs)
    if errors and plugins.strict:
        raise errors[0]


def after_commit(fn):
    """Run ``fn`` once the current transaction commits (now, if none), in
    a fresh unit of work."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            start_unit_of_work()
            fn()

    db.after_commit(run)


def profile_updated(profile, changes):
    """Fire ``helpline_on_profile_updated`` once the current transaction
    commits. ``changes`` is ``{field: (old, new)}`` for each field that
    changed; nothing fires when it is empty. Call it from the code that
    saves the profile, inside its transaction."""
    if not changes:
        return
    changes = dict(changes)
    after_commit(lambda: fire("helpline_on_profile_updated", profile=profile, changes=changes))
