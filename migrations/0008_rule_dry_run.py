"""The ``rule_dry_run`` table: what rules in dry-run mode would have done."""

from peewee import *


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = "ticket"

    class DryRunEntry(Model):
        rule = CharField(max_length=64)
        ticket = ForeignKeyField(Ticket, on_delete="CASCADE")
        action = CharField(max_length=32)
        key = CharField(max_length=64, default="")
        data = JSONField(default=dict)
        day = DateField()
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "rule_dry_run"
            indexes = ((("rule", "ticket", "action", "key"), True), (("rule", "day"), False))

    db.create_tables([DryRunEntry])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("rule_dry_run"))
