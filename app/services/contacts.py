"""Contact addresses as customers give them: phone numbers to E.164, emails
to lower case, and telling an alphanumeric SMS sender id from a number."""

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
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise ServiceError(_("%(phone)s is not a phone number.", phone=raw), code="invalid_phone", field="phone")
    if not phonenumbers.is_possible_number(parsed):
        raise ServiceError(
            _("%(phone)s is not a possible phone number.", phone=raw), code="invalid_phone", field="phone"
        )
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
