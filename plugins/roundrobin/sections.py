"""The sections under round-robin's generated settings form: the preview
(who is online and how the backlog would be spread) and the dry-run record."""

from flask_babel import lazy_gettext as _l

from app.plugin import SettingsSection, dry_run

from .preview import preview


class PreviewSection(SettingsSection):
    """Who is online in the rotation now and how the Unassigned backlog
    would be spread with the saved settings."""

    slug = "preview"
    title = _l("Preview")
    template = "roundrobin/preview_section.html"

    def render_data(self, settings, args):
        return {"preview": preview(settings)}


class DryRunSection(SettingsSection):
    """What the rule recorded while in dry run."""

    slug = "dry-run"
    title = _l("Dry run: who would have got each ticket")
    template = "roundrobin/dry_run_section.html"

    def render_data(self, settings, args):
        return {"days": dry_run.per_day("roundrobin"), "recent": dry_run.recent("roundrobin")}
