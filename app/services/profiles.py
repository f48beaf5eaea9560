"""Customers: identity normalization and find-or-create."""

import phonenumbers
from flask_babel import gettext as _

from ..clock import now
from ..models import Profile
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
    """An email address as stored and compared (trimmed, lower case), or
    None for an empty value.
    """
    if not raw:
        return None
    value = str(raw).strip().lower()
    return value or None


def find_or_create(sender, region="US"):
    """The profile for an inbound sender. Call inside a transaction; a
    concurrent creator raises IntegrityError, which the caller retries."""
    email = normalize_email(sender.email)
    phone = normalize_phone(sender.phone, region) if sender.phone else None
    profile = None
    if phone:
        profile = Profile.get_or_none(Profile.phone == phone)
    if profile is None and email:
        profile = Profile.get_or_none(Profile.email == email)
    if profile is None:
        return Profile.create(
            name=(sender.name or "")[:200], email=email, phone=phone, external_ids=dict(sender.external_ids or {})
        )
    changed = False
    if not profile.name and sender.name:
        profile.name, changed = sender.name[:200], True
    if email and not profile.email and not Profile.select().where(Profile.email == email).exists():
        profile.email, changed = email, True
    if phone and not profile.phone and not Profile.select().where(Profile.phone == phone).exists():
        profile.phone, changed = phone, True
    for key, value in (sender.external_ids or {}).items():
        if profile.external_ids.get(key) != value:
            profile.external_ids = {**profile.external_ids, key: value}
            changed = True
    if changed:
        profile.updated_at = now()
        profile.save()
    return profile
