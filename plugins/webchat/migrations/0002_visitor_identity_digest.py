"""Web chat identities hold a digest of the visitor id, not the id: the id
is a secret in the visitor's browser (whoever has it continues as that
visitor), and identities are shown to agents and answered by the API.

Core migration 0002 copied the ids as they were; this replaces them with
the digest ``conversations.visitor_identity`` computes (kept here as it is
today, as a migration must be). ``down`` maps digests back through the ids
the conversations table still holds.
"""

import hashlib

from peewee import *

SALT = "helpline.webchat.visitor"
BATCH = 500


def _digest(visitor_id):
    return hashlib.sha256(f"{SALT}:{visitor_id}".encode()).hexdigest()[:32]


def _models(db):
    class ContactIdentity(Model):
        source = CharField()
        external_id = CharField()

        class Meta:
            database = db
            table_name = "contact_identity"

    class Conversation(Model):
        visitor_id = CharField()

        class Meta:
            database = db
            table_name = "webchat_conversation"

    return ContactIdentity, Conversation


def _rewrite(ContactIdentity, mapping):
    last = 0
    while True:
        rows = list(
            ContactIdentity.select(ContactIdentity.id, ContactIdentity.external_id)
            .where((ContactIdentity.source == "webchat") & (ContactIdentity.id > last))
            .order_by(ContactIdentity.id)
            .limit(BATCH)
        )
        if not rows:
            return
        last = rows[-1].id
        for row in rows:
            new = mapping(row.external_id)
            if new is not None and new != row.external_id:
                ContactIdentity.update(external_id=new).where(ContactIdentity.id == row.id).execute()


def up(migrator, db):
    ContactIdentity, _conversation = _models(db)
    _rewrite(ContactIdentity, _digest)


def down(migrator, db):
    ContactIdentity, Conversation = _models(db)
    ids = {_digest(c.visitor_id): c.visitor_id for c in Conversation.select(Conversation.visitor_id).distinct()}
    _rewrite(ContactIdentity, ids.get)
