"""Checks every request passes at the edge, before any view or schema sees
it, and the fields that carry the same rules into schemas.

* Ids: every row id fits PostgreSQL's ``integer`` (SQLite's are wider); a
  larger number in a path (``<dbid:name>`` routes), a body (:class:`Id`) or
  a cursor is refused before it reaches the database, where SQLite raises
  ``OverflowError`` past 64 bits.
* NUL characters: PostgreSQL refuses them in text, so query strings, path
  segments, form fields and JSON strings that carry one are refused with
  422 and the field's name, whichever endpoint they were sent to.
* JSON nesting: a document nested deeper than :data:`MAX_JSON_DEPTH` is
  refused (400) before it is parsed, since the parser recurses.
* Time zones: :class:`TimeZone` accepts only names the zone database knows.
* Office hours: one weekly schedule shape (:class:`WeeklyHours`, ranges of
  :class:`OpenRange`), :class:`ClosedDates` and :func:`minutes`, shared by
  every plugin that keeps opening hours (web chat, reports).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import zoneinfo
from itertools import accumulate

import marshmallow as ma
from flask import Request, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

__all__ = [
    "MAX_ID",
    "MAX_JSON_DEPTH",
    "Id",
    "TimeZone",
    "UtcDateTime",
    "is_time_zone",
    "valid_id",
    "init_app",
    "refuse_body_that_is_not_json",
    "WEEKDAYS",
    "HHMM",
    "minutes",
    "OpenRange",
    "WeeklyHours",
    "ClosedDates",
    "default_week",
    "is_open_at",
]

#: The largest row id: PostgreSQL's ``integer`` (``serial``) columns.
MAX_ID = 2**31 - 1
#: Deepest JSON nesting any endpoint accepts (the deepest real body is a view's filters, 3 levels).
MAX_JSON_DEPTH = 32

NUL_MESSAGE = _l("NUL characters are not allowed.")
_JSON_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


def valid_id(value) -> bool:
    """Whether ``value`` is an int that can be a row id."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


class DbIdConverter(IntegerConverter):
    """``<dbid:name>``: a positive integer that fits a row id; anything
    else does not match the route (404)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


class Id(ma.fields.Integer):
    """A row id in a body or query: 1 to :data:`MAX_ID` (422 otherwise).
    Like marshmallow's ``Integer``, digit strings are accepted (query
    strings and forms send strings) unless ``strict=True``."""

    def __init__(self, **kwargs):
        validators = kwargs.pop("validate", None) or []
        if callable(validators):
            validators = [validators]
        super().__init__(validate=[ma.validate.Range(min=1, max=MAX_ID), *validators], **kwargs)


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name) -> bool:
    """Whether ``name`` is a zone of the zone database (``Europe/Madrid``,
    ``UTC``). Directories (``America``), paths and overlong names are not:
    asking ``zoneinfo`` about them raises ``OSError``."""
    return isinstance(name, str) and name in _zone_names()


class UtcDateTime(ma.fields.AwareDateTime):
    """ISO 8601 with an offset on the wire (``Z`` assumed when missing),
    naive UTC inside (the database and ``app.clock``)."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=dt.UTC, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        aware = super()._deserialize(value, attr, data, **kwargs)
        try:
            return aware.astimezone(dt.UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)


class TimeZone(ma.fields.String):
    """An IANA time zone name; 422 with "Unknown time zone." otherwise."""

    default_error_messages = {"zone": _l("Unknown time zone.")}

    def __init__(self, **kwargs):
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("description", "an IANA time zone name, e.g. Europe/Madrid")
        # The settings form shows a picker of the zone database's names.
        metadata.setdefault("widget", "timezone")
        super().__init__(validate=ma.validate.Length(min=1, max=64), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not is_time_zone(value):
            raise self.make_error("zone")
        return value


#: Weekday keys of a weekly schedule, Monday first (``date.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: ``HH:MM`` on a 24-hour clock; ``24:00`` closes at midnight.
HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
#: Opening ranges per weekday a schedule keeps at most.
MAX_RANGES_PER_DAY = 8
#: Closed dates a schedule keeps at most (more than a year of them).
MAX_CLOSED_DATES = 400


def minutes(hhmm) -> int:
    """``"HH:MM"`` as minutes after midnight (``"24:00"`` is 1440)."""
    hours, mins = str(hhmm).split(":")
    return int(hours) * 60 + int(mins)


class OpenRange(ma.Schema):
    """One opening period of a weekday, local wall time, ``close`` exclusive."""

    open = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(HHMM, error=_l("Use HH:MM.")),
        metadata={"label": _l("Opens")},
    )
    close = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(HHMM, error=_l("Use HH:MM (or 24:00).")),
        metadata={"label": _l("Closes")},
    )

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if "open" in data and "close" in data and minutes(data["open"]) >= minutes(data["close"]):
            raise ma.ValidationError(_("The closing time must be after the opening time."), "close")


def default_week() -> dict:
    """Monday to Friday 09:00-17:00, closed at weekends."""
    day = [{"open": "09:00", "close": "17:00"}]
    return {d: ([dict(r) for r in day] if d not in ("sat", "sun") else []) for d in WEEKDAYS}


class WeeklyHours(ma.fields.Dict):
    """A weekly schedule: ``{"mon": [{"open": "09:00", "close": "17:00"}], ...}``,
    local wall time; a missing or empty weekday is closed all day. The
    settings form shows it as the weekly office-hours editor."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", default_week)
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("widget", "weekly_hours")
        super().__init__(
            keys=ma.fields.String(validate=ma.validate.OneOf(WEEKDAYS)),
            values=ma.fields.List(
                ma.fields.Nested(OpenRange),
                validate=ma.validate.Length(
                    max=MAX_RANGES_PER_DAY, error=_l("At most %(n)d ranges a day.", n=MAX_RANGES_PER_DAY)
                ),
            ),
            **kwargs,
        )


class ClosedDates(ma.fields.List):
    """Dates without any opening hours (holidays), ``YYYY-MM-DD``, at most
    :data:`MAX_CLOSED_DATES`. The settings form shows a list of date inputs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", list)
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("widget", "dates")
        super().__init__(
            ma.fields.Date(),
            validate=ma.validate.Length(
                max=MAX_CLOSED_DATES, error=_l("At most %(n)d closed dates.", n=MAX_CLOSED_DATES)
            ),
            **kwargs,
        )


def is_open_at(timezone, week, closed_dates, at_utc) -> bool:
    """Whether naive-UTC ``at_utc`` falls in an opening range of ``week``
    (a :class:`WeeklyHours` value) in zone ``timezone``; closed dates win.
    Ranges are wall-clock time, so 09:00 stays 09:00 across DST changes."""
    local = at_utc.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(timezone or "UTC"))
    closed = {d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in closed_dates or ()}
    if local.date() in closed:
        return False
    now_minutes = local.hour * 60 + local.minute
    ranges = (week or {}).get(WEEKDAYS[local.weekday()]) or ()
    return any(minutes(r["open"]) <= now_minutes < minutes(r["close"]) for r in ranges)


def json_depth(data: bytes) -> int:
    """How deeply a JSON text nests, counted without parsing it (strings
    removed, then brackets counted); cheap for any body the size limits let in."""
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    skeleton = _NOT_BRACKETS.sub(b"", _JSON_STRINGS.sub(b"", data))
    steps = (1 if byte in b"[{" else -1 for byte in skeleton)
    return max(accumulate(steps), default=0)


def _nul_fields(value, path=""):
    """The names (dotted for nested objects) of the strings in a parsed JSON
    document that hold a NUL character; keys count too."""
    found, stack = [], [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(where or "_schema")
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    found.append(where or "_schema")
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((where, child) for child in item)
    return found


def _refuse_nul(names):
    if names:
        raise ma.ValidationError({name.replace("\x00", ""): [str(NUL_MESSAGE)] for name in names})


def _multidict_nul(values):
    return [key for key, value in values.items(multi=True) if "\x00" in key or "\x00" in value]


class HelplineRequest(Request):
    """Flask's request, checking a body when a view first reads it (so the
    limits a blueprint sets first apply, and a raw body a view reads from the
    stream, e.g. an email, is left alone): form fields with a NUL character,
    and JSON bodies nested too deep, holding a NUL, or chunked past the limit."""

    _body_checked = False

    def _load_form_data(self):
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form:
            _refuse_nul(_multidict_nul(form))

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        if data and not self._body_checked and self.is_json:
            self._body_checked = True
            self._check_json(data)
        return data.decode("utf-8", "replace") if as_text else data

    def _check_json(self, data):
        limit = self.max_content_length
        if self.content_length is None and limit is not None and len(data) >= limit:
            # A chunked body is cut at the limit without an error: look past it.
            if self.environ["wsgi.input"].read(1):
                raise RequestEntityTooLarge()
        if json_depth(data) > MAX_JSON_DEPTH:
            raise BadRequest(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        try:
            document = json.loads(data)
        except ValueError:
            return  # the view answers its own "not JSON" error
        _refuse_nul(_nul_fields(document))


def check_request():
    """Before every view: query strings and path segments (bodies are
    checked when read, by :class:`HelplineRequest`)."""
    # ``next`` is never stored: safe_next() drops a bad one, so a tampered
    # link still shows the login page instead of an error.
    if request.query_string:  # most requests (webhooks, form posts) have none to parse
        _refuse_nul([key for key in _multidict_nul(request.args) if key != "next"])
    _refuse_nul([k for k, v in (request.view_args or {}).items() if isinstance(v, str) and "\x00" in v])


NOT_JSON_MESSAGE = _l("Send the body as JSON, with the header Content-Type: application/json.")


def _reads_json(view):
    """Whether a flask-smorest operation takes a JSON body (``@bp.arguments``
    with the default location), core's and plugins' alike."""
    parameters = (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", ())
    return any(parameter.get("in") == "json" for parameter in parameters)


def refuse_body_that_is_not_json(view):
    """400 ``bad_request`` when ``view`` takes a JSON body and the request
    sent a body of another type; :func:`app.auth.require` calls it once the
    login and permission are checked, so those answer first."""
    # webargs reads a body of another type (a form, text/plain: what
    # ``curl -d`` sends without -H) as no body at all, which answered 422
    # "Missing data for required field" for fields the client did send.
    has_body = request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and not request.is_json and _reads_json(view):
        error = BadRequest()
        error.data = {"messages": {"json": [str(NOT_JSON_MESSAGE)]}}
        raise error


def init_app(app):
    """Register the ``dbid`` converter and the request class; the app
    registers :func:`check_request` itself, after the checks that answer first."""
    app.url_map.converters["dbid"] = DbIdConverter
    app.request_class = HelplineRequest
