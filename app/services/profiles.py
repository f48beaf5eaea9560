"""Customer profiles: the profile of an inbound sender, and changes to a
profile's fields, which plugins hear about through
``helpline_on_profile_updated``. Who is who is decided by
:mod:`app.services.identities`."""

from ..clock import now
from ..events import profile_updated
from ..models import Profile
from . import identities
from .contacts import is_alphanumeric_sender, normalize_email, normalize_phone

UPDATABLE = ("name", "sms_consent")

__all__ = ["find_or_create", "update", "normalize_phone", "normalize_email", "is_alphanumeric_sender"]


def find_or_create(sender, region="US", source=None):
    """The profile for an inbound :class:`~app.registry.Sender` writing on
    channel ``source``: by the sender's id on that channel, then by verified
    phone and email (see :func:`app.services.identities.resolve`). Call
    inside a transaction."""
    return find_or_create_found(sender, region, source, None)


def find_or_create_found(sender, region="US", source=None, found=None):
    """:func:`find_or_create`, given ``found``: :func:`lookup`'s answer for
    the same sender, read before the transaction (ingest does)."""
    return identities.resolve_found(
        source,
        sender.external_id if source else None,
        sender.email,
        normalize_phone(sender.phone, region) if sender.phone else None,
        sender.name,
        sender.verified_contact,
        found,
    )


def lookup(sender, region="US", source=None):
    """Who :func:`find_or_create` would find for ``sender``, read without
    writing (before the write transaction, so the write lock is not held
    for it): ``(profile or None, what matched)``."""
    return identities.lookup(
        source,
        external_id=sender.external_id if source else None,
        email=sender.email,
        phone=normalize_phone(sender.phone, region) if sender.phone else None,
        verified_contact=sender.verified_contact,
    )


def update(profile, **fields):
    """Set ``name`` and/or ``sms_consent`` on ``profile``; returns
    ``{field: (old, new)}`` for what changed, which plugins receive through
    ``helpline_on_profile_updated`` after commit. Addresses change through
    :mod:`app.services.identities`, not here."""
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"profiles.update cannot set {sorted(unknown)}")
    changes = {k: (getattr(profile, k), v) for k, v in fields.items() if getattr(profile, k) != v}
    if changes:
        Profile.update(updated_at=now(), **{k: new for k, (_old, new) in changes.items()}).where(
            Profile.id == profile.id
        ).execute()
        for key, (_old, new) in changes.items():
            setattr(profile, key, new)
        profile_updated(profile, changes)
    return changes
