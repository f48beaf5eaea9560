"""Small helpers shared by the UI views: JSON-or-redirect answers for forms
enhanced by scripts, time formatting in the agent's zone, and the Jinja
globals."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from urllib.parse import urlsplit

from babel import dates as babel_dates
from flask import current_app, flash, jsonify, redirect
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _

from ..auth import current_agent
from ..clock import now
from ..errors import CODES, error_response, wants_json
from ..i18n import datetime_pattern
from ..permissions import can
from ..plugins import get_plugins
from ..plugins.parts import isolated
from ..validation import is_time_zone

log = logging.getLogger(__name__)


def done(target, message=None, **extra):
    """Answer a successful form post: JSON for scripts, else flash + redirect."""
    if wants_json():
        return jsonify(ok=True, message=message, redirect=target, **extra)
    if message:
        flash(message, "success")
    return redirect(target)


def failed(target, message, field=None, status=400, code=None):
    """Answer a refused form post with its reason, keeping the page: the
    one error shape for scripts, else flash + redirect."""
    if wants_json():
        code = code or (CODES[status] if status in CODES and status != 400 else "invalid")
        return error_response(status, code, message, {field: [message]} if field else None)
    flash(message, "error")
    return redirect(target)


def safe_next(target, default):
    """Only same-site relative paths are followed after a post or login.

    Browsers drop tabs and newlines from URLs and read a backslash as a
    slash, so a slash, a tab and a slash (or a slash and a backslash) would
    leave the site as ``//evil.test``: any control character, backslash,
    scheme or host is refused outright rather than cleaned up."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    return target


def agent_zone(agent=None):
    agent = agent or current_agent()
    name = getattr(agent, "timezone", None)
    return zoneinfo.ZoneInfo(name if is_time_zone(name) else "UTC")


def localtime(value, fmt=None):
    """A stored naive-UTC time shown in the agent's time zone, written the
    way the agent's language writes it (Babel; ``fmt`` a strftime pattern
    for a fixed shape). Panel data is JSON-shaped, so an ISO 8601 string
    with its offset (``2026-01-05T09:00:00+00:00``) is read too; text that is
    not a time is shown as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(agent_zone())
    if fmt:
        return local.strftime(fmt)
    return babel_dates.format_datetime(local, datetime_pattern(), locale=get_locale() or "en")


def ago(value):
    """How long before now (the app's clock) a stored naive-UTC time was, in
    words ("5 minutes ago"); "just now" under a minute."""
    if not value:
        return ""
    delta = value - now()
    if abs(delta) < dt.timedelta(minutes=1):
        return _("just now")
    return format_timedelta(delta, granularity="minute", add_direction=True)


def local_with_zone(value):
    """The exact local time with the zone's name, for hover titles."""
    return f"{localtime(value)} ({agent_zone().key})" if value else ""


def from_local_input(text):
    """A ``datetime-local`` input (agent's zone) as naive UTC, or None."""
    try:
        local = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return local.replace(tzinfo=agent_zone()).astimezone(dt.UTC).replace(tzinfo=None)


#: Checked fragment lists kept per app: ``{(slot, state version, names): usable}``.
_FRAGMENTS = "helpline.ui_fragments"


def plugin_fragments(slot):
    """Template names enabled plugins contribute to a UI slot. One that cannot
    be found or compiled is logged and left out, so a plugin's mistake cannot
    take every page down; under strict mode (tests) it raises instead.

    Whether each template loads is checked once per plugin-state version
    (and set of contributed names, which changes when a plugin is added or
    removed), not on every page: a page renders several slots."""
    try:
        plugins = get_plugins()
        names = tuple(plugins.ui_fragments(slot))
        key = (slot, plugins.state_version(), names)
    except Exception:  # a broken plugin must not take the page down
        log.exception("could not list UI fragments for %s", slot)
        return []
    cache = current_app.extensions.setdefault(_FRAGMENTS, {})
    usable = cache.get(key)
    if usable is not None:
        return list(usable)
    usable = []
    for name in names:
        template, _error = isolated(
            "UI fragment", name, lambda: current_app.jinja_env.get_template(name), plugins.strict
        )
        if template is not None:
            usable.append(name)
    if len(cache) >= 256:  # old versions' entries: never read again
        cache.clear()
    cache[key] = tuple(usable)
    return usable


def channel_label(slug):
    cls = get_plugins().channels.get(slug)
    return str(cls.label) if cls is not None and getattr(cls, "label", None) else slug


def safe_card_href(href):
    """Whether a channel card's link may be a link: web, mail and phone addresses
    only, so a stored ``javascript:`` URL is shown as text, never run."""
    return str(href or "").lower().startswith(("http://", "https://", "mailto:", "tel:"))


def init_jinja(app):
    app.jinja_env.globals["plugin_fragments"] = plugin_fragments
    app.jinja_env.globals["can"] = can  # templates ask the role matrix, never a role name
    app.jinja_env.globals["channel_label"] = channel_label
    app.jinja_env.globals["safe_card_href"] = safe_card_href
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["local_with_zone"] = local_with_zone
