"""Why an automatic action happened: one structured reason, stored on the
notice (``Message.meta["why"]``) and on the activity entry
(``Activity.data["why"]``) that the action writes, and answered as the
``reason`` field by the API, so agents, the UI and integrations read the
same thing. (``data["reason"]`` stays the short close/open reason string
that reports read.)

A reason is ``{"rule", "summary", "inputs", "settings_url"}``: the rule's
slug (``autoclose``, ``roundrobin``, ``snooze``, ...), one sentence for
people (translated when written, like the notice itself), the inputs the
rule decided on (JSON values, times as ISO 8601 UTC), and the path of the
rule's settings page (None when the action has no settings)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from werkzeug.routing import BuildError

KEY = "why"


def settings_url(endpoint: str | None, args: dict | None = None) -> str | None:
    """The path of a settings page endpoint, or None when it has none (or
    its plugin's routes are not mounted)."""
    if not endpoint:
        return None
    try:
        # Bound without a request: rules run in tasks, outside any request.
        return current_app.url_map.bind("localhost").build(endpoint, args or {})
    except BuildError:
        return None


def make(
    rule: str,
    summary: str,
    inputs: dict | None = None,
    settings_endpoint: str | None = None,
    settings_args: dict | None = None,
) -> dict:
    """A structured reason (see the module docstring). Datetimes among
    ``inputs`` become ISO 8601 text; ``settings_args`` are the endpoint's
    URL values (``{"name": "webchat"}`` for a plugin's generic settings)."""
    clean = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in (inputs or {}).items()}
    return {
        "rule": rule,
        "summary": str(summary),
        "inputs": clean,
        "settings_url": settings_url(settings_endpoint, settings_args),
    }


def of(record) -> dict | None:
    """The reason stored on a Message (``meta``) or an Activity (``data``),
    or None."""
    bag = getattr(record, "meta", None)
    if bag is None:
        bag = getattr(record, "data", None)
    return (bag or {}).get(KEY)
