"""Customer identities: which profile a channel's id, a provider's customer
id or an address belongs to.

Rules (docs/architecture.md, "Customer identities"):

* A **verified** identity ``(source, external_id)`` belongs to one profile
  and is how a sender is found again: by the channel's own id for them first
  (``webchat`` visitor id, a chat app's user id), then by verified phone,
  then by verified email.
* An **unverified** identity is a claim (an email typed into a web chat). It
  is kept on the profile that made it, shown to agents as unverified, and
  never looked up: it cannot attach anyone to the customer who owns that
  address. :func:`verify` turns it into a verified identity; when the
  address already belongs to another customer, the claimant's profile is
  merged into that customer.
* ``Profile.email`` / ``Profile.phone`` are the verified addresses replies
  go to; they are also verified ``email`` / ``phone`` identities.

Everything here is safe under concurrency: unique indexes decide races, and
the loser retries inside a savepoint and finds the winner's row.
"""

from __future__ import annotations

import logging

import peewee
from flask_babel import gettext as _

from .. import rowsql
from ..clock import now
from ..db import ShapedStatement, db
from ..events import profile_updated
from ..models import ContactIdentity, Profile
from ..plugins import get_plugins
from . import Conflict, NotFound, ServiceError
from .contacts import normalize_email, normalize_phone

log = logging.getLogger(__name__)

EMAIL, PHONE = "email", "phone"
MAX_SOURCE, MAX_EXTERNAL_ID, MAX_EMAIL = 64, 255, 254
ATTEMPTS = 5


# The partial unique index's own condition, as a literal: a bound parameter
# would keep PostgreSQL's generic plans (prepared statements) off the index.
_VERIFIED = ContactIdentity.verified == peewee.SQL("TRUE")


class IdentityTaken(Conflict):
    """A verified identity already belongs to another profile."""


def find_profile(source, external_id):
    """The profile holding the verified identity ``(source, external_id)``,
    or None. ``email`` and ``phone`` values are normalized first and also
    match a profile's own email or phone."""
    source, external_id = _clean(source, external_id)
    profile = _BY_IDENTITY.first(None, {"source": source, "external_id": external_id})
    if profile is None and source in (EMAIL, PHONE):
        profile = _BY_ADDRESS.first(source, {"value": external_id})
    return profile


# Every inbound message looks its sender up: the SQL is built once.
_BY_IDENTITY = ShapedStatement(
    lambda _shape, v: (
        Profile.select()
        .join(ContactIdentity)
        .where((ContactIdentity.source == v["source"]) & (ContactIdentity.external_id == v["external_id"]) & _VERIFIED)
        .limit(1)
    )
)
_BY_ADDRESS = ShapedStatement(lambda kind, v: Profile.select().where(getattr(Profile, kind) == v["value"]).limit(1))


def profile_ids(source, external_ids):
    """``{external_id: profile id}`` for those of ``external_ids`` that are
    verified identities of ``source``: one indexed query per 500 ids, for
    callers that look up many customers at once (a batch of orders)."""
    ids = sorted({str(value) for value in external_ids if value})
    found = {}
    for start in range(0, len(ids), 500):
        rows = ContactIdentity.select(ContactIdentity.external_id, ContactIdentity.profile).where(
            (ContactIdentity.source == source) & ContactIdentity.external_id.in_(ids[start : start + 500]) & _VERIFIED
        )
        found.update((row.external_id, row.profile_id) for row in rows)
    return found


def link(profile, source, external_id, verified=True):
    """Attach ``(source, external_id)`` to ``profile`` and return the
    identity. Idempotent. A verified link raises :class:`IdentityTaken` when
    another profile holds it verified, and upgrades the profile's own
    unverified claim. An unverified link is a claim of this profile only (a
    profile that already holds it verified keeps it verified)."""
    source, external_id = _clean(source, external_id)
    if not verified:
        ContactIdentity.insert(
            profile=profile.id, source=source, external_id=external_id, verified=False, created_at=now()
        ).on_conflict_ignore().execute()
        return ContactIdentity.get(_mine(profile, source, external_id))
    for _attempt in range(ATTEMPTS):
        owner = _verified(source, external_id)
        if owner is not None:
            if owner.profile_id != profile.id:
                raise IdentityTaken(
                    _("%(value)s already belongs to another customer.", value=external_id), code="identity_taken"
                )
            return owner
        try:
            with db.atomic():
                upgraded = (
                    ContactIdentity.update(verified=True)
                    .where(_mine(profile, source, external_id) & (ContactIdentity.verified == False))  # noqa: E712
                    .execute()
                )
                if not upgraded:
                    ContactIdentity.create(
                        profile=profile.id, source=source, external_id=external_id, verified=True, created_at=now()
                    )
        except peewee.IntegrityError:
            continue  # linked concurrently: the next look finds the owner
    return ContactIdentity.get(_mine(profile, source, external_id) & _VERIFIED)


def lookup(source, external_id=None, email=None, phone=None, verified_contact=True):
    """Who :func:`resolve` with the same arguments would find, read without
    writing: call it before a write transaction and pass the answer to
    :func:`resolve_found`, so these reads are not done while holding the
    write lock. Raises like :func:`resolve`."""
    source, external_id, email, phone, _name = _arguments(source, external_id, email, phone, None)
    return _lookup(source, external_id, email, phone, verified_contact)


def resolve(source, external_id=None, email=None, phone=None, name=None, verified_contact=True):
    """The profile of a customer as a channel or provider knows them,
    created when nobody matches. Looks up the verified identity
    ``(source, external_id)`` first, then (only when ``verified_contact``)
    the verified phone, then the verified email; links what it was given to
    the profile it returns.

    ``verified_contact=False`` says the email and phone are what the person
    typed (a web chat form): they are kept as unverified identities of the
    profile found by ``external_id`` (or a new one) and never match another
    customer. Raises :class:`ServiceError` for a malformed phone number or
    an email longer than 254 characters.
    Call inside a transaction; profile changes fire
    ``helpline_on_profile_updated`` after commit."""
    return resolve_found(source, external_id, email, phone, name, verified_contact, None)


def resolve_found(source, external_id, email, phone, name, verified_contact, found):
    """:func:`resolve`, given ``found``: what :func:`lookup` answered for
    the same arguments before the transaction (None: look now). The first
    attempt trusts it: a profile deleted or an identity taken since fails a
    foreign key or unique index, and the next attempt looks again."""
    source, external_id, email, phone, name = _arguments(source, external_id, email, phone, name)
    for attempt in range(ATTEMPTS):
        if attempt == 0 and found is not None:
            profile, matched = found
        else:
            profile, matched = _lookup(source, external_id, email, phone, verified_contact)
        if profile is not None and not _incomplete(profile, matched, external_id, email, phone, name, verified_contact):
            return profile  # a known sender who told nothing new: no savepoint, no statement
        try:
            with db.atomic():
                if profile is None:
                    profile, changes = _create(source, external_id, email, phone, name, verified_contact), {}
                else:
                    changes = _complete(profile, matched, source, external_id, email, phone, name, verified_contact)
        except (peewee.IntegrityError, IdentityTaken):
            if attempt == ATTEMPTS - 1:
                raise
            continue  # a concurrent writer created or linked it first: look again
        if changes:
            profile_updated(profile, changes)
        return profile


def verify(identity, actor=None):
    """Mark an unverified identity verified (an agent confirmed the customer
    owns it) and return the profile it now belongs to.

    When another customer already holds it verified, the claimant's profile
    is merged into that customer's (see :func:`merge`) and that customer's
    profile is returned. A verified ``email`` or ``phone`` becomes the
    profile's reply address when it has none. ``actor`` is the agent who
    confirmed it, written to the log (merges cannot be undone)."""
    identity = ContactIdentity.get_or_none(ContactIdentity.id == getattr(identity, "id", identity))
    if identity is None:
        raise NotFound(_("No such identity."), code="not_found")
    with db.atomic():
        claimant = Profile.get_by_id(identity.profile_id)
        if identity.verified:
            return claimant
        owner = find_profile(identity.source, identity.external_id)
        log.info(
            "agent %s verified %s %s of profile %s%s",
            getattr(actor, "id", None),
            identity.source,
            identity.external_id,
            claimant.id,
            f", merged into profile {owner.id}" if owner is not None and owner.id != claimant.id else "",
        )
        if owner is not None and owner.id != claimant.id:
            return merge(claimant, owner)
        before = _listed(claimant)
        link(claimant, identity.source, identity.external_id, verified=True)
        changes = {"identities": (before, _listed(claimant))}
        changes.update(_fill_address(claimant, identity.source, identity.external_id))
    profile_updated(claimant, changes)
    return claimant


def merge(source_profile, target_profile):
    """Move everything of ``source_profile`` to ``target_profile``, delete
    it and return the target: tickets, identities, events, orders and every
    plugin row referring to the profile move; its name, addresses (with SMS
    consent) fill what the target lacks, the rest stays as identities.
    Raises :class:`Conflict` when a plugin's row cannot move (its own unique
    rule), changing nothing."""
    if source_profile.id == target_profile.id:
        raise ServiceError(_("A profile cannot be merged into itself."), code="same_profile")
    tables = set(get_plugins().all_models())
    try:
        with db.atomic():
            source = Profile.get_by_id(source_profile.id)
            target = Profile.get_by_id(target_profile.id)
            before = _listed(target)
            for kind in (EMAIL, PHONE):
                if getattr(source, kind):
                    ContactIdentity.insert(
                        profile=source.id, source=kind, external_id=getattr(source, kind), created_at=now()
                    ).on_conflict_ignore().execute()
            pair = peewee.Tuple(ContactIdentity.source, ContactIdentity.external_id)
            # The target's claims to what the source holds verified give way
            # to it; then what the target already holds goes, the rest moves.
            proven = ContactIdentity.select(ContactIdentity.source, ContactIdentity.external_id).where(
                (ContactIdentity.profile == source.id) & _VERIFIED
            )
            ContactIdentity.delete().where(
                (ContactIdentity.profile == target.id)
                & (ContactIdentity.verified == False)  # noqa: E712
                & pair.in_(proven)
            ).execute()
            held = ContactIdentity.select(ContactIdentity.source, ContactIdentity.external_id).where(
                ContactIdentity.profile == target.id
            )
            ContactIdentity.delete().where((ContactIdentity.profile == source.id) & pair.in_(held)).execute()
            for field, model in Profile._meta.backrefs.items():
                if model in tables:
                    model.update({field: target.id}).where(field == source.id).execute()
            changes = {}
            if source.name and not target.name:
                changes["name"] = (target.name, source.name)
            if source.email and not target.email:
                changes["email"] = (None, source.email)
            if source.phone and not target.phone:
                changes["phone"] = (None, source.phone)
                if source.sms_consent != target.sms_consent:
                    changes["sms_consent"] = (target.sms_consent, source.sms_consent)
            Profile.delete_by_id(source.id)
            if changes:
                columns = {column: new for column, (_old, new) in changes.items()}
                Profile.update(updated_at=now(), **columns).where(Profile.id == target.id).execute()
            changes["identities"] = (before, _listed(target))
    except peewee.IntegrityError as exc:
        raise Conflict(
            _("These customers cannot be merged automatically: %(reason)s", reason=str(exc)[:200]),
            code="merge_conflict",
        ) from exc
    changes["merged_profile_ids"] = ([], [source_profile.id])
    target = Profile.get_by_id(target_profile.id)
    profile_updated(target, changes)
    return target


def of_profile(profile):
    """The profile's identities, verified first, then by source and value."""
    return list(
        ContactIdentity.select()
        .where(ContactIdentity.profile == profile.id)
        .order_by(ContactIdentity.verified.desc(), ContactIdentity.source, ContactIdentity.external_id)
    )


def for_agents(profile):
    """What agents see beside a ticket: ``[(identity, owner)]`` for the
    profile's identities other than its own email and phone; ``owner`` is
    the other customer who holds an unverified one verified (verifying it
    merges this profile into theirs), else None."""
    shown = []
    for identity in of_profile(profile):
        if identity.source in (EMAIL, PHONE) and getattr(profile, identity.source) == identity.external_id:
            continue
        owner = None
        if not identity.verified:
            owner = find_profile(identity.source, identity.external_id)
        shown.append((identity, owner if owner is not None and owner.id != profile.id else None))
    return shown


# --- internals -------------------------------------------------------------------


def _arguments(source, external_id, email, phone, name):
    email = normalize_email(email)
    if email and len(email) > MAX_EMAIL:
        raise ServiceError(
            _("An email address is at most %(n)d characters.", n=MAX_EMAIL), code="invalid_email", field="email"
        )
    phone = normalize_phone(phone) if phone else None
    if external_id is not None and str(external_id).strip():
        source, external_id = _clean(source, external_id)
    else:
        external_id = None
    return source, external_id, email, phone, (name or "").strip()[:200]


def _incomplete(profile, matched, external_id, email, phone, name, verified_contact):
    """True when :func:`_complete` may have something to add: False means
    it would change nothing (and read nothing)."""
    if name and not profile.name:
        return True
    if external_id is not None and matched != "id":
        return True
    for kind, value in ((EMAIL, email), (PHONE, phone)):
        if not value:
            continue
        own = getattr(profile, kind)
        if not (verified_contact and own and (matched == kind or own == value)):
            return True
    return False


def _clean(source, external_id):
    source = str(source or "").strip()
    if not source or len(source) > MAX_SOURCE:
        raise ServiceError(
            _("An identity source is 1 to %(n)d characters.", n=MAX_SOURCE), code="invalid_identity", field="source"
        )
    value = str(external_id if external_id is not None else "").strip()
    if source == EMAIL:
        value = normalize_email(value) or ""
    elif source == PHONE and value:
        value = normalize_phone(value)
    if not value or len(value) > MAX_EXTERNAL_ID or "\x00" in value:
        raise ServiceError(
            _("An external id is 1 to %(n)d characters.", n=MAX_EXTERNAL_ID),
            code="invalid_identity",
            field="external_id",
        )
    return source, value


def _mine(profile, source, external_id):
    return (
        (ContactIdentity.profile == profile.id)
        & (ContactIdentity.source == source)
        & (ContactIdentity.external_id == external_id)
    )


def _verified(source, external_id):
    return ContactIdentity.get_or_none(
        (ContactIdentity.source == source) & (ContactIdentity.external_id == external_id) & _VERIFIED
    )


def _lookup(source, external_id, email, phone, verified_contact):
    """``(profile, what matched)``: ``"id"``, ``"phone"`` or ``"email"``;
    ``(None, None)`` for nobody."""
    if external_id is not None:
        profile = find_profile(source, external_id)
        if profile is not None:
            return profile, "id"
    if verified_contact:
        for kind, value in ((PHONE, phone), (EMAIL, email)):
            if value:
                profile = find_profile(kind, value)
                if profile is not None:
                    return profile, kind
    return None, None


def _create(source, external_id, email, phone, name, verified_contact):
    profile = rowsql.insert(
        Profile, name=name, email=email if verified_contact else None, phone=phone if verified_contact else None
    )
    # A new profile holds nothing yet: its verified identities are inserted
    # directly. One that another profile holds verified fails the partial
    # unique index, and resolve's next attempt finds that profile.
    linked = set()
    if external_id is not None:
        rowsql.insert(ContactIdentity, profile=profile.id, source=source, external_id=external_id, created_at=now())
        linked.add((source, external_id))
    for kind, value in ((EMAIL, email), (PHONE, phone)):
        if not value or (kind, value) in linked:
            continue
        if verified_contact:
            rowsql.insert(ContactIdentity, profile=profile.id, source=kind, external_id=value, created_at=now())
        else:
            link(profile, kind, value, verified=False)
    return profile


def _complete(profile, matched, source, external_id, email, phone, name, verified_contact):
    """Add what the sender told that the profile lacks (``matched`` says
    what found it); returns the changes."""
    changes = {}
    if name and not profile.name:
        changes["name"] = (profile.name, name)
    todo = []  # (source, value, verified) to link
    if external_id is not None and matched != "id":
        todo.append((source, external_id, True))
    for kind, value in ((EMAIL, email), (PHONE, phone)):
        if not value:
            continue
        if not verified_contact:
            # A claim is kept even when another customer owns the address:
            # agents see it, and it matches nobody.
            if not ContactIdentity.select().where(_mine(profile, kind, value)).exists():
                todo.append((kind, value, False))
            continue
        owner = profile if matched == kind or getattr(profile, kind) == value else find_profile(kind, value)
        if owner is not None and owner.id != profile.id:
            continue  # another customer's address: a message never moves it
        if owner is None:
            todo.append((kind, value, True))
        changes.update(_fill_address(profile, kind, value, save=False))
    columns = {column: new for column, (_old, new) in changes.items()}
    if columns:
        Profile.update(updated_at=now(), **columns).where(Profile.id == profile.id).execute()
        for column, new in columns.items():
            setattr(profile, column, new)
    if todo:
        before = _listed(profile)
        for kind, value, verified in todo:
            link(profile, kind, value, verified=verified)
        changes["identities"] = (before, _listed(profile))
    return changes


def _fill_address(profile, kind, value, save=True):
    """A verified email or phone becomes the reply address when there is
    none; returns ``{column: (old, new)}`` for what changed."""
    if kind not in (EMAIL, PHONE) or getattr(profile, kind):
        return {}
    if save:
        Profile.update({kind: value, "updated_at": now()}).where(Profile.id == profile.id).execute()
        setattr(profile, kind, value)
    return {kind: (None, value)}


def _listed(profile):
    return [{"source": i.source, "external_id": i.external_id, "verified": i.verified} for i in of_profile(profile)]
