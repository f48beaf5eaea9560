"""Python's cyclic garbage collector in long-lived processes.

A loaded app is hundreds of thousands of objects (modules, classes,
functions, models, templates, translations) that live as long as the
process. Every full collection walks all of them again: work that a task or
request allocating many objects (an auto-close sweep batch builds thousands)
triggers over and over, for nothing. :func:`freeze_startup_objects` moves
them out of the collector's sight once, after start-up; everything created
later is collected as before."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Called once by every long-lived process when its app is built and
    before it serves (``app.wsgi`` for gunicorn and ``huey_consumer``,
    ``helpline worker``, ``helpline run``, ``helpline streams``; a plugin's
    own server command through :mod:`app.plugin`, as ``helpline email
    serve-smtp`` does): collect the start-up garbage, then freeze what
    survived (``gc.freeze()``), so later collections skip it. Before a ``fork`` it also keeps the
    children's collections from writing to the pages they share with the
    parent. Returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
