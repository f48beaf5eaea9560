"""The sections under auto-close's generated settings form: the preview
(what a period would close) and the dry-run record."""

from flask_babel import lazy_gettext as _l

from app.plugin import SettingsSection, dry_run

from .preview import preview
from .schemas import MAX_DAYS, MIN_DAYS


def _days(raw):
    """``?preview_days=`` as an int in range, else None."""
    try:
        days = int((raw or "").strip()[:20])
    except ValueError:
        return None
    return days if MIN_DAYS <= days <= MAX_DAYS else None


class PreviewSection(SettingsSection):
    """What the sweep would close with a period: the saved one, or any
    period asked with ``?preview_days=`` before saving it."""

    slug = "preview"
    title = _l("Preview")
    template = "autoclose/preview_section.html"

    def render_data(self, settings, args):
        days = _days(args.get("preview_days")) or settings["inactivity_days"]
        return {"preview": preview(days, settings["typing_grace_minutes"])}


class DryRunSection(SettingsSection):
    """What the rule recorded while in dry run."""

    slug = "dry-run"
    title = _l("Dry run: what the rule would have done")
    template = "autoclose/dry_run_section.html"

    def render_data(self, settings, args):
        return {"days": dry_run.per_day("autoclose"), "recent": dry_run.recent("autoclose")}
