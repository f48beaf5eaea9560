"""Contact addresses as customers give them: phone numbers to E.164, emails
to lower case, and telling an alphanumeric SMS sender id from a number."""

import functools

import phonenumbers
from flask_babel import gettext as _

from . import ServiceError


def normalize_phone(raw, region="US"):
    """E.164 for a dialable number; raises ServiceError otherwise."""
    if raw is None:
        return None
    raw = str(raw).strip()
    if not raw:
        return None
    e164 = _e164(raw, region)
    if e164 is _NOT_A_NUMBER:
        raise ServiceError(_("%(phone)s is not a phone number.", phone=raw), code="invalid_phone", field="phone")
    if e164 is _NOT_POSSIBLE:
        raise ServiceError(
            _("%(phone)s is not a possible phone number.", phone=raw), code="invalid_phone", field="phone"
        )
    return e164


_NOT_A_NUMBER, _NOT_POSSIBLE = object(), object()


@functools.lru_cache(maxsize=4096)
def _e164(raw, region):
    # phonenumbers costs about 0.04 ms a number, and an inbound SMS normalizes
    # its sender several times (webhook, thread key, profile lookup).
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return _NOT_A_NUMBER
    if not phonenumbers.is_possible_number(parsed):
        return _NOT_POSSIBLE
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_alphanumeric_sender(value):
    """True for an alphanumeric sender id ("ACME"), which cannot receive SMS."""
    value = (value or "").strip()
    return bool(value) and any(c.isalpha() for c in value)


def normalize_email(raw):
    """An email address trimmed and lower-cased, or None when empty."""
    if not raw:
        return None
    value = str(raw).strip().lower()
    return value or None
