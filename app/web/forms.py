"""HTML forms generated from a plugin's marshmallow settings schema: each
field becomes a widget, its metadata labels and explains it, and
``ValidationError.messages`` come back as per-field errors in words.

Field metadata understood here (docs/plugins.md, "Settings: one schema per
plugin"): ``label``, ``help``, ``unit`` (shown after the input, e.g.
"minutes"), ``secret`` (a password input that is never echoed back; left
empty it keeps the stored value), ``placeholder`` and ``widget`` (to choose
one other than the field type's: ``textarea``, ``color``, ``checkboxes``,
``weekly_hours``, ``dates``, ``timezone``). A ``OneOf`` validator (on the
field, or on a list's items) gives the choices and their ``labels``."""

from __future__ import annotations

import datetime as dt
import json

import marshmallow as ma
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..marshmallow_messages import translate
from ..validation import WEEKDAYS, _zone_names

MAX_FIELD_CHARS = 20_000
#: Empty range rows the office-hours editor offers per weekday without script.
SPARE_RANGES = 1
#: Empty date inputs the closed-dates list offers without script.
SPARE_DATES = 2


def _one_of(field):
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, ma.validate.OneOf):
            return validator
    return None


def _choices(field):
    """``[(value, label)]`` from ``metadata["choices"]`` or a ``OneOf``."""
    meta = field.metadata or {}
    if meta.get("choices"):
        return [(str(value), str(label)) for value, label in meta["choices"]]
    validator = _one_of(field)
    if validator is None:
        return None
    labels = validator.labels or validator.choices
    return [(str(c), str(lbl)) for c, lbl in zip(validator.choices, labels)]


def _bounds(field):
    low = high = maxlength = None
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, ma.validate.Range):
            low, high = validator.min, validator.max
        elif isinstance(validator, ma.validate.Length) and not isinstance(field, ma.fields.List):
            maxlength = validator.max  # a list's Length counts its items, not the characters of its lines
    return low, high, maxlength


# Field class -> widget, first match wins. Date and Time come before
# DateTime: marshmallow derives them from it.
_WIDGETS = (
    (ma.fields.Integer, "integer"),
    ((ma.fields.Float, ma.fields.Decimal), "number"),
    (ma.fields.Email, "email"),
    (ma.fields.Url, "url"),
    (ma.fields.Date, "date"),
    (ma.fields.Time, "time"),
    (ma.fields.DateTime, "datetime-local"),
    (ma.fields.List, "lines"),
    ((ma.fields.Dict, ma.fields.Nested, ma.fields.Raw), "json"),
)
#: Widgets a field may ask for with ``metadata["widget"]``.
NAMED_WIDGETS = ("textarea", "color", "checkboxes", "weekly_hours", "dates", "timezone")


def input_type(field):
    """The widget for a marshmallow field."""
    meta = field.metadata or {}
    if meta.get("secret"):
        return "password"
    if isinstance(field, ma.fields.Boolean):
        return "checkbox"
    if meta.get("widget") in NAMED_WIDGETS and meta["widget"] != "textarea":
        return meta["widget"]
    if isinstance(field, ma.fields.List) and _choices(field.inner):
        return "checkboxes"  # a list of fixed choices
    if _choices(field):
        return "select"
    for classes, kind in _WIDGETS:
        if isinstance(field, classes):
            return kind
    if meta.get("widget") == "textarea" or (_bounds(field)[2] or 0) > 300:
        return "textarea"
    return "text"


def _shown(field, kind, value):
    if value is None:
        return [] if kind in ("checkboxes", "dates") else ({} if kind == "weekly_hours" else "")
    if kind == "checkbox":
        return bool(value)
    if kind == "password":
        return ""
    if kind == "checkboxes":
        return [str(v) for v in value]
    if kind == "dates":
        return [v.isoformat() if isinstance(v, dt.date) else str(v) for v in value]
    if kind == "weekly_hours":
        return {day: [dict(r) for r in value.get(day) or ()] for day in WEEKDAYS}
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "json":
        return json.dumps(value, indent=2, default=str)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _label(name, field):
    meta = field.metadata or {}
    return str(meta.get("label") or name.replace("_", " ").capitalize())


def weekday_labels():
    """``{weekday key: translated name}``, Monday first."""
    names = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
    return dict(zip(WEEKDAYS, names))


def _flat(messages):
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, (list, tuple)):
        return [translate(m) for m in messages]
    return [translate(messages)]


def error_words(field, messages, kind=None):
    """Marshmallow's (possibly nested) messages for one field as sentences
    a person reads: "Monday, range 2, closes: The closing time must be after
    the opening time." rather than a dict of indexes."""
    kind = kind or input_type(field)
    if not isinstance(messages, dict):
        return _flat(messages)
    out = []
    for key, sub in messages.items():
        if key == "_schema":
            out += _flat(sub)
        elif kind == "weekly_hours":
            out += _weekly_errors(key, sub)
        elif isinstance(field, ma.fields.List) and isinstance(key, int):
            where = _("line %(n)d", n=key + 1) if kind == "lines" else _("item %(n)d", n=key + 1)
            out += [f"{where}: {m}" for m in _flat(sub)]
        elif isinstance(field, ma.fields.Nested) and key in field.schema.fields:
            out += [f"{_label(key, field.schema.fields[key])}: {m}" for m in _flat(sub)]
        else:
            out += [f"{key}: {m}" for m in _flat(sub)]
    return out


def _weekly_errors(day, messages):
    days = weekday_labels()
    where = days.get(day, str(day))
    if not isinstance(messages, dict):
        return [f"{where}: {m}" for m in _flat(messages)]
    out = []
    if "key" in messages:
        out += [_("%(day)s is not a weekday (use mon ... sun).", day=day)]
    value = messages.get("value", {})
    if not isinstance(value, dict):
        return out + [f"{where}: {m}" for m in _flat(value)]
    labels = {"open": _("opens"), "close": _("closes")}
    for index, sub in value.items():
        if not isinstance(index, int):
            out += [f"{where}: {m}" for m in _flat(sub)]
            continue
        if not isinstance(sub, dict):
            out += [f"{where}, {_('range %(n)d', n=index + 1)}: {m}" for m in _flat(sub)]
            continue
        for part, texts in sub.items():
            prefix = f"{where}, {_('range %(n)d', n=index + 1)}"
            if part in labels:
                prefix += f", {labels[part]}"
            out += [f"{prefix}: {m}" for m in _flat(texts)]
    return out


def _submitted(kind, key, field, raw):
    """What the person sent for a structured widget, to show it again."""
    if kind == "checkboxes":
        return raw.getlist(key)
    if kind == "dates":
        return [v for v in raw.getlist(key) if v.strip()]
    if kind == "weekly_hours":
        return _week_from_form(key, raw)
    return raw.get(key)


def fields_for(schema_cls, values, errors=None, raw=None):
    """Describe each editable field for ``web/_settings_form.html``.
    ``raw`` (the submitted form, a MultiDict) wins over ``values`` after an
    error, so nothing typed is lost."""
    schema = schema_cls()
    errors = errors or {}
    if raw is not None and not isinstance(raw, MultiDict):
        raw = MultiDict(raw)
    out = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        kind = input_type(field)
        low, high, maxlength = _bounds(field)
        field_errors = errors.get(key) or errors.get(name) or []
        submitted = raw is not None and (key in raw or f"{key}.mon.0.open" in raw or kind == "checkboxes")
        if raw is not None and kind == "checkbox":
            value = key in raw
        elif submitted and kind in ("checkboxes", "dates", "weekly_hours"):
            value = _submitted(kind, key, field, raw)
        elif submitted and kind != "password":
            value = raw.get(key)
        else:
            value = _shown(field, kind, values.get(name))
        meta = field.metadata or {}
        item = {
            "name": key,
            "kind": kind,
            "label": _label(name, field),
            "help": str(meta["help"]) if meta.get("help") else "",
            "unit": str(meta["unit"]) if meta.get("unit") else "",
            "placeholder": str(meta["placeholder"]) if meta.get("placeholder") else "",
            "value": value,
            "choices": _choices(field.inner) if kind == "checkboxes" else _choices(field),
            "min": low,
            "max": high,
            "maxlength": maxlength,
            "required": field.required,
            "errors": error_words(field, field_errors, kind),
        }
        if kind == "weekly_hours":
            item["days"] = [
                {"key": day, "label": label, "ranges": value.get(day) or []} for day, label in weekday_labels().items()
            ]
            item["spare"] = SPARE_RANGES
        elif kind == "dates":
            item["spare"] = SPARE_DATES
        elif kind == "timezone":
            zones = sorted(_zone_names())
            item["choices"] = [(z, z.replace("_", " ")) for z in zones]
            if value and value not in _zone_names():
                item["choices"].insert(0, (value, value))
        out.append(item)
    return out


def _week_from_form(key, form):
    """``key.<day>.<n>.open`` / ``.close`` inputs as a weekly schedule; a
    range left empty on both ends is no range (the spare rows)."""
    week = {}
    for day in WEEKDAYS:
        ranges = []
        indexes = sorted(
            {int(k.split(".")[2]) for k in form if k.startswith(f"{key}.{day}.") and k.split(".")[2].isdigit()}
        )
        for index in indexes[:50]:
            opens = (form.get(f"{key}.{day}.{index}.open") or "").strip()[:10]
            closes = (form.get(f"{key}.{day}.{index}.close") or "").strip()[:10]
            if opens or closes:
                # A time input cannot say 24:00: closing at 00:00 (after
                # the opening) means at midnight, the end of that day.
                if closes == "00:00":
                    closes = "24:00"
                ranges.append({"open": opens, "close": closes})
        week[day] = ranges
    return week


def data_from_form(schema_cls, form):
    """Turn a submitted form into the dict ``schema.load`` expects; returns
    ``(data, errors)`` with errors for values that cannot even be parsed."""
    schema = schema_cls()
    data, errors = {}, {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        kind = input_type(field)
        if kind == "checkbox":
            data[key] = key in form
            continue
        if kind == "checkboxes":
            # No box ticked sends nothing at all: that is an empty choice.
            data[key] = [v for v in form.getlist(key)][:100]
            continue
        if kind == "dates":
            data[key] = [v.strip() for v in form.getlist(key) if v.strip()][:1000]
            continue
        if kind == "weekly_hours":
            if any(k.startswith(f"{key}.") for k in form):
                data[key] = _week_from_form(key, form)
            continue
        value = form.get(key)
        if value is None:
            continue
        if len(value) > MAX_FIELD_CHARS:
            errors[key] = [_("Too long.")]
            continue
        if kind == "password" and value == "":
            continue  # a blank secret keeps the stored one
        if kind == "lines":
            data[key] = [line.strip() for line in value.splitlines() if line.strip()]
        elif kind == "json":
            try:
                data[key] = json.loads(value or "null")
            except ValueError:
                errors[key] = [_("Enter valid JSON.")]
        elif kind == "integer" and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 20:
            data[key] = int(value.strip())  # schemas may be strict about numbers
        elif (
            value == ""
            and kind in ("integer", "number", "datetime-local", "date", "time", "select", "url", "email", "timezone")
            and not field.required
        ):
            continue  # empty optional input: keep what is stored
        else:
            data[key] = value
    return data, errors
