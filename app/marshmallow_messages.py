"""Marshmallow's own validation messages in the reader's language.

Our schemas word their own errors through gettext, but the messages that
marshmallow writes itself ("Missing data for required field.", "Not a valid
integer.", "Longer than maximum length 100.") are English text built inside
the library. :func:`translate` turns each of them into the current locale's
words when errors are shaped for people (``field_messages``): the fixed ones
by lookup, the ones with numbers or choices by pattern (each msgid is the
library's own English, so English readers see exactly what marshmallow
wrote). Anything else (our own, already translated messages) passes through
unchanged."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FIXED = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid input."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "Special numeric values (nan or infinity) are not permitted."
    ),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid tuple.": _l("Not a valid tuple."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "Not a valid IP address.": _l("Not a valid IP address."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid aware datetime.": _l("Not a valid aware datetime."),
    "Not a valid naive datetime.": _l("Not a valid naive datetime."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid period of time.": _l("Not a valid period of time."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
}

PATTERNS = (
    (re.compile(r"Shorter than minimum length (\d+)\."), lambda m: _("Shorter than minimum length %(n)s.", n=m[1])),
    (re.compile(r"Longer than maximum length (\d+)\."), lambda m: _("Longer than maximum length %(n)s.", n=m[1])),
    (
        re.compile(r"Length must be between (\d+) and (\d+)\."),
        lambda m: _("Length must be between %(min)s and %(max)s.", min=m[1], max=m[2]),
    ),
    (re.compile(r"Length must be (\d+)\."), lambda m: _("Length must be %(n)s.", n=m[1])),
    (
        re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
        lambda m: _("Must be greater than or equal to %(min)s and less than or equal to %(max)s.", min=m[1], max=m[2]),
    ),
    (
        re.compile(r"Must be greater than or equal to (\S+)\."),
        lambda m: _("Must be greater than or equal to %(min)s.", min=m[1]),
    ),
    (
        re.compile(r"Must be less than or equal to (\S+)\."),
        lambda m: _("Must be less than or equal to %(max)s.", max=m[1]),
    ),
    (re.compile(r"Must be greater than (\S+)\."), lambda m: _("Must be greater than %(min)s.", min=m[1])),
    (re.compile(r"Must be less than (\S+)\."), lambda m: _("Must be less than %(max)s.", max=m[1])),
    (re.compile(r"Must be one of: (.*)\."), lambda m: _("Must be one of: %(choices)s.", choices=m[1])),
)


def translate(message) -> str:
    """``message`` (a string or a lazy translation) as text in the current
    locale; marshmallow's built-in English messages are translated."""
    text = str(message)
    fixed = FIXED.get(text)
    if fixed is not None:
        return str(fixed)
    for pattern, render in PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return render(match)
    return text
