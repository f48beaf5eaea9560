"""The Rules settings page: every automation rule the registry holds, with
what it does, whether it acts now and a link to its settings."""

from __future__ import annotations

from flask import render_template, url_for

from ..auth import require
from ..plugins import get_plugins
from .blueprint import bp


def rule_rows():
    """One row per registered rule, by label. A rule acts only when its
    plugin is enabled and the rule itself says it is active (a rule that
    merchants switch on in its settings)."""
    plugins = get_plugins()
    rows = []
    for cls in plugins.rules.values():
        enabled = plugins.is_enabled(cls.plugin)
        rule = cls(settings=plugins.get_settings(cls.plugin))
        if not enabled:
            state = "plugin_off"
        else:
            state = "on" if rule.is_active() else "off"
        rows.append(
            {
                "slug": cls.slug,
                "label": str(cls.label or cls.slug),
                "description": cls.description,
                "plugin": cls.plugin,
                "plugin_title": plugins.infos[cls.plugin].title if cls.plugin in plugins.infos else cls.plugin,
                "state": state,
                "settings_url": _settings_url(plugins, cls, enabled),
            }
        )
    return sorted(rows, key=lambda row: row["label"].lower())


def _settings_url(plugins, cls, enabled):
    """A hand-made settings page while the plugin is on (its pages answer
    404 while off), else the plugin's generated settings page, where it is
    also switched on; None when there is nothing to set."""
    if cls.settings_endpoint:
        return url_for(cls.settings_endpoint) if enabled else None
    info = plugins.infos.get(cls.plugin)
    if info is not None and (info.settings_sections or info.settings_schema().fields):
        return url_for("web.plugin_settings", name=cls.plugin)
    return None


@bp.get("/settings/rules")
@require("settings")
def settings_rules():
    """The automation rules and their state."""
    return render_template("web/settings_rules.html", rows=rule_rows())
