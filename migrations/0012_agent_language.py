"""``agent.language``: the agent UI's language, NULL for the browser's."""

from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("agent", "language", CharField(max_length=8, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("agent", "language"))
