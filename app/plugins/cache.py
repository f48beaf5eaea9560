"""Caches scoped to one unit of work, so a request (or a task run) reads the
plugin state once and sees one consistent answer throughout.

A request has its own cache in the WSGI environ (not ``g``: tests reuse one
app context across many requests). Outside requests, a unit of work (a task
run, an after-commit callback) opts in with :func:`start_unit_of_work`;
long-lived contexts (a shell, a test) never cache, so they always see
toggles made elsewhere.
"""

from __future__ import annotations

from flask import g, has_app_context, has_request_context, request


def request_cache():
    """A dict living as long as the current request (None outside one)."""
    if not has_request_context():
        return None
    return request.environ.setdefault("helpline.cache", {})


def start_unit_of_work():
    """Start a fresh cache for the work this app context does next (a task
    run, an after-commit callback)."""
    g._helpline_cache = {}


def context_cache():
    """The cache of the current unit of work outside requests, or None."""
    if not has_app_context():
        return None
    return g.get("_helpline_cache")


def scope_cache():
    """The request's cache, else the unit of work's, else None."""
    scope = request_cache()
    return scope if scope is not None else context_cache()
