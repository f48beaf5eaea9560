"""Signed storefront identities: a conversation remembers the customer id
the shop signed and whether its email came signed (verified) or typed."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("webchat_conversation", "customer_id", CharField(max_length=128, null=True)),
        migrator.add_column("webchat_conversation", "email_verified", BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("webchat_conversation", "email_verified"),
        migrator.drop_column("webchat_conversation", "customer_id"),
    )
