"""Customer identities: which profile a channel sender or a commerce
customer is.

STAND-IN, replaced at merge by main's ``app/services/identities.py``
(issue 12). It implements interfaces.md §2 only as far as the commerce work
needs it: ``find_profile``, ``link`` and ``resolve``.
"""

from __future__ import annotations

import peewee

from ..clock import now
from ..db import db, is_postgres, write_transaction
from ..models import ContactIdentity, Profile
from .profiles import normalize_email, normalize_phone


def _lock(*keys):
    # SQLite's write transaction already serializes writers; PostgreSQL needs
    # a lock per identity so two first sightings do not both create a profile.
    if is_postgres():
        for key in sorted(set(keys)):
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


def find_profile(source, external_id) -> Profile | None:
    """The profile linked to ``(source, external_id)``, or None."""
    if not external_id:
        return None
    row = (
        ContactIdentity.select(ContactIdentity, Profile)
        .join(Profile)
        .where((ContactIdentity.source == source) & (ContactIdentity.external_id == str(external_id)))
        .first()
    )
    return row.profile if row else None


def link(profile, source, external_id, verified=True) -> ContactIdentity:
    """Attach ``(source, external_id)`` to ``profile``; idempotent. An
    identity already linked to another profile stays where it is."""
    external_id = str(external_id)[:255]
    with write_transaction():
        ContactIdentity.insert(
            profile=profile, source=source, external_id=external_id, verified=verified, created_at=now()
        ).on_conflict_ignore().execute()
        return ContactIdentity.get((ContactIdentity.source == source) & (ContactIdentity.external_id == external_id))


def resolve(source, external_id=None, email=None, phone=None, name=None, verified_contact=True) -> Profile:
    """The profile for a customer as ``source`` knows them: the linked
    identity first, then a verified email or phone, else a new profile.
    Links what it used. An unverified email or phone never attaches to
    another customer's profile."""
    email = normalize_email(email)
    phone = normalize_phone(phone) if phone else None
    for attempt in range(3):
        try:
            with write_transaction():
                return _resolve_once(source, external_id, email, phone, name, verified_contact)
        except peewee.IntegrityError:
            # A concurrent resolve created the profile first; look again.
            if attempt == 2:
                raise


def _resolve_once(source, external_id, email, phone, name, verified_contact):
    keys = [f"identity:{source}:{external_id}"] if external_id else []
    keys += [f"identity:email:{email}"] if email else []
    keys += [f"identity:phone:{phone}"] if phone else []
    _lock(*keys)
    profile = find_profile(source, external_id)
    if profile is None and verified_contact:
        if phone:
            profile = Profile.get_or_none(Profile.phone == phone) or find_profile("phone", phone)
        if profile is None and email:
            profile = Profile.get_or_none(Profile.email == email) or find_profile("email", email)
    if profile is None:
        profile = Profile.create(
            name=(name or "")[:200],
            email=email if verified_contact and email and not _taken(Profile.email, email) else None,
            phone=phone if verified_contact and phone and not _taken(Profile.phone, phone) else None,
        )
    elif name and not profile.name:
        profile.name = name[:200]
        profile.updated_at = now()
        profile.save()
    if external_id:
        link(profile, source, external_id)
    if verified_contact and email:
        link(profile, "email", email)
    if verified_contact and phone:
        link(profile, "phone", phone)
    return profile


def _taken(field, value):
    return Profile.select().where(field == value).exists()
