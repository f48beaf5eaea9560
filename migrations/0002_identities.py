"""Customer identities (stand-in, replaced at merge by main's issue-12
migration of the same name and table)."""

from peewee import *


def up(migrator, db):
    class Profile(Model):
        class Meta:
            database = db
            table_name = "profile"

    class ContactIdentity(Model):
        profile = ForeignKeyField(Profile, on_delete="CASCADE")
        source = CharField(max_length=64)
        external_id = CharField(max_length=255)
        verified = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "contact_identity"
            indexes = ((("source", "external_id"), True),)

    db.create_tables([ContactIdentity])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("contact_identity"))
