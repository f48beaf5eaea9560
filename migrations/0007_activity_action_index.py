"""An index on ``activity (action, created_at)``: the rules' previews read
one kind of activity over a time window (e.g. auto-close's ``clock_armed``
entries of the last 30 days) without scanning the whole trail."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index("activity", ("action", "created_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("activity", "activity_action_created_at"))
