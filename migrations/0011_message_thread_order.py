"""An index on ``message (ticket_id, created_at, id)``: the thread is shown
in time order, and a merge moves older messages (with higher ids) into a
ticket, so id order is no longer time order."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index("message", ("ticket_id", "created_at", "id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("message", "message_ticket_id_created_at_id"))
