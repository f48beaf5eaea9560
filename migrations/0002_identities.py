"""Customer identities: the ``contact_identity`` table, filled from what
profiles already knew, and ``profile.external_ids`` dropped.

Data step, in this order:

1. every profile email and phone becomes a verified ``email`` / ``phone``
   identity;
2. every ``profile.external_ids`` entry becomes a verified identity whose
   source is the key (``webchat_visitor``, the only key Helpline itself
   wrote, becomes the channel slug ``webchat``). The same id was often
   stored on several profiles (each chat message made a new one); the
   oldest profile, the one its ticket belongs to, keeps it;
3. an email that only ever came through web chat was typed by a visitor,
   never verified: it becomes an unverified identity of that profile and
   leaves ``profile.email``, so it no longer attaches anyone to the profile.
"""

from peewee import *

LEGACY_SOURCES = {"webchat_visitor": "webchat"}
BATCH = 500


def _models(db):
    class Profile(Model):
        email = CharField(null=True)
        phone = CharField(null=True)
        external_ids = JSONField(default=dict)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "profile"

    class ContactIdentity(Model):
        profile = ForeignKeyField(Profile, on_delete="CASCADE", index=False)
        source = CharField(max_length=64)
        external_id = CharField(max_length=255)
        verified = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "contact_identity"
            legacy_table_names = False  # index names as the model's
            indexes = ((("profile", "source", "external_id"), True),)

    ContactIdentity.add_index(
        ContactIdentity.index(
            ContactIdentity.source,
            ContactIdentity.external_id,
            unique=True,
            where=SQL('"verified" = TRUE'),
            name="contact_identity_verified",
        )
    )

    class Ticket(Model):
        profile = ForeignKeyField(Profile)
        channel = CharField()

        class Meta:
            database = db
            table_name = "ticket"

    return Profile, ContactIdentity, Ticket


def up(migrator, db):
    Profile, ContactIdentity, Ticket = _models(db)
    db.create_tables([ContactIdentity])
    columns = [
        ContactIdentity.profile,
        ContactIdentity.source,
        ContactIdentity.external_id,
        ContactIdentity.verified,
        ContactIdentity.created_at,
    ]
    for source, field in (("email", Profile.email), ("phone", Profile.phone)):
        ContactIdentity.insert_from(
            Profile.select(Profile.id, Value(source), field, Value(True), Profile.created_at).where(
                field.is_null(False)
            ),
            columns,
        ).execute()

    last = 0
    while True:
        batch = list(
            Profile.select(Profile.id, Profile.external_ids, Profile.created_at)
            .where(Profile.id > last)
            .order_by(Profile.id)
            .limit(BATCH)
        )
        if not batch:
            break
        last = batch[-1].id
        rows = [
            {
                "profile": p.id,
                "source": LEGACY_SOURCES.get(key, key)[:64],
                "external_id": str(value),
                "verified": True,
                "created_at": p.created_at,
            }
            for p in batch
            if isinstance(p.external_ids, dict)
            for key, value in p.external_ids.items()
            if key and value not in (None, "") and len(str(value)) <= 255
        ]
        if rows:
            # Ordered by profile id, so the oldest profile keeps a shared id.
            ContactIdentity.insert_many(rows).on_conflict_ignore().execute()

    visitors = ContactIdentity.select(ContactIdentity.profile).where(ContactIdentity.source == "webchat")
    elsewhere = Ticket.select(Ticket.profile).where(Ticket.channel != "webchat")
    typed = Profile.select(Profile.id).where(
        Profile.email.is_null(False) & Profile.id.in_(visitors) & Profile.id.not_in(elsewhere)
    )
    typed_ids = [p.id for p in typed]
    for start in range(0, len(typed_ids), BATCH):
        chunk = typed_ids[start : start + BATCH]
        ContactIdentity.update(verified=False).where(
            (ContactIdentity.source == "email") & ContactIdentity.profile.in_(chunk)
        ).execute()
        Profile.update(email=None).where(Profile.id.in_(chunk)).execute()

    migrator.migrate(migrator.drop_column("profile", "external_ids"))


def down(migrator, db):
    Profile, ContactIdentity, _ticket = _models(db)
    # Nullable: making it NOT NULL again would rebuild the profile table on
    # SQLite, and dropping the old copy would cascade to every ticket.
    migrator.migrate(migrator.add_column("profile", "external_ids", JSONField(null=True)))
    Profile.update(external_ids={}).execute()
    by_profile = {}
    others = ContactIdentity.select().where(
        ContactIdentity.source.not_in(["email", "phone"]) & (ContactIdentity.verified == True)  # noqa: E712
    )
    for identity in others:
        key = {v: k for k, v in LEGACY_SOURCES.items()}.get(identity.source, identity.source)
        by_profile.setdefault(identity.profile_id, {})[key] = identity.external_id
    for profile_id, external_ids in by_profile.items():
        Profile.update(external_ids=external_ids).where(Profile.id == profile_id).execute()
    migrator.migrate(migrator.drop_table("contact_identity"))
