"""The Rules settings page: every automation rule the registry holds, with
what it does, whether it acts now and a link to its own settings page."""

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
                "state": state,
                # A disabled plugin's pages answer 404: link to its plugin instead.
                "settings_url": url_for(cls.settings_endpoint) if enabled and cls.settings_endpoint else None,
            }
        )
    return sorted(rows, key=lambda row: row["label"].lower())


@bp.get("/settings/rules")
@require("settings")
def settings_rules():
    """The automation rules and their state."""
    return render_template("web/settings_rules.html", rows=rule_rows())
