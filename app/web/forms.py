"""HTML forms generated from a plugin's marshmallow settings schema: each
field type becomes an input, ``metadata["label"]`` / ``["help"]`` label it,
and ``ValidationError.messages`` come back as per-field errors.

Field metadata understood here: ``label``, ``help``, ``secret`` (a password
input that is never echoed back; left empty it keeps the stored value) and
``widget="textarea"``."""

from __future__ import annotations

import datetime as dt
import json

import marshmallow as ma
from flask_babel import gettext as _

MAX_FIELD_CHARS = 20_000


def _choices(field):
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, ma.validate.OneOf):
            labels = validator.labels or validator.choices
            return [(str(c), str(lbl)) for c, lbl in zip(validator.choices, labels)]
    return None


def _bounds(field):
    low = high = maxlength = None
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, ma.validate.Range):
            low, high = validator.min, validator.max
        elif isinstance(validator, ma.validate.Length):
            maxlength = validator.max
    return low, high, maxlength


# Field class -> widget, first match wins. Date and Time come before
# DateTime: marshmallow 3 derives them from it.
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


def input_type(field):
    """The widget for a marshmallow field."""
    meta = field.metadata or {}
    if meta.get("secret"):
        return "password"
    if isinstance(field, ma.fields.Boolean):
        return "checkbox"
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
        return ""
    if kind == "checkbox":
        return bool(value)
    if kind == "password":
        return ""
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


def fields_for(schema_cls, values, errors=None, raw=None):
    """Describe each editable field for ``web/_settings_form.html``.
    ``raw`` (what the user typed) wins over ``values`` after an error."""
    schema = schema_cls()
    errors = errors or {}
    out = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        kind = input_type(field)
        low, high, maxlength = _bounds(field)
        field_errors = errors.get(key) or errors.get(name) or []
        if isinstance(field_errors, dict):  # nested or list item errors
            field_errors = [f"{k}: {v}" for k, v in field_errors.items()]
        value = (
            raw[key]
            if raw is not None and key in raw and kind not in ("password", "checkbox")
            else _shown(field, kind, values.get(name))
        )
        if raw is not None and kind == "checkbox":
            value = key in raw
        meta = field.metadata or {}
        out.append(
            {
                "name": key,
                "kind": kind,
                "label": _label(name, field),
                "help": str(meta["help"]) if meta.get("help") else "",
                "value": value,
                "choices": _choices(field),
                "min": low,
                "max": high,
                "maxlength": maxlength,
                "required": field.required,
                "errors": [str(e) for e in field_errors],
            }
        )
    return out


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
        elif (
            value == ""
            and kind in ("integer", "number", "datetime-local", "date", "time", "select", "url", "email")
            and not field.required
        ):
            continue  # empty optional input: keep what is stored
        else:
            data[key] = value
    return data, errors
