"""Round-robin is switched on and off by its plugin switch alone: the old
``enabled`` setting (a second switch inside the plugin) is folded into it.

The plugin acted only while both were on (or in dry run), so it stays on only
then; the stored ``enabled`` key is dropped. The plugin is now off by default,
so an install that never touched it stays as it was: doing nothing."""

import datetime as dt

from peewee import *

PLUGIN = "roundrobin"


def up(migrator, db):
    class PluginState(Model):
        name = CharField(max_length=64, unique=True)
        enabled = BooleanField(default=True)
        settings = JSONField(default=dict)
        version = IntegerField(default=0, unique=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "plugin_state"

    with db.atomic():
        row = PluginState.get_or_none(PluginState.name == PLUGIN)
        if row is None or "enabled" not in (row.settings or {}):
            return
        settings = dict(row.settings)
        acting = bool(settings.pop("enabled")) or bool(settings.get("dry_run"))
        row.enabled = bool(row.enabled) and acting
        row.settings = settings
        # The next version, so running processes read the state again.
        row.version = (PluginState.select(fn.MAX(PluginState.version)).scalar() or 0) + 1
        row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        row.save()


def down(migrator, db):
    """The plugin switch keeps its state; the inner switch was on wherever the plugin is."""
