"""What the plugin manager knows about each plugin, and its errors."""

from __future__ import annotations

import dataclasses

from ..registry import EmptySettings

CORE = "core"


class PluginError(Exception):
    """A plugin operation the merchant asked for cannot be done."""


class PluginLoadError(Exception):
    """A plugin could not be loaded. The message names the plugin; the
    original exception is chained as ``__cause__``."""

    def __init__(self, plugin, cause):
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r} failed to load: {type(cause).__name__}: {cause}")


@dataclasses.dataclass
class PluginInfo:
    """One installed plugin: how it loaded and what its register hooks returned."""

    name: str
    status: str = "loaded"  # loaded | failed | blocked | skipped
    error: str | None = None
    version: str | None = None
    module: str | None = None
    first_party: bool = False
    description: str = ""
    #: What merchants read (the module's ``display_name``); falls back to the name.
    display_name: str = ""
    default_enabled: bool = True
    settings_schema: type = EmptySettings
    migrations_dir: str | None = None
    translations_dir: str | None = None
    blueprints: list = dataclasses.field(default_factory=list)
    models: list = dataclasses.field(default_factory=list)
    channels: list = dataclasses.field(default_factory=list)
    rules: list = dataclasses.field(default_factory=list)
    panels: list = dataclasses.field(default_factory=list)
    settings_sections: list = dataclasses.field(default_factory=list)
    commerce_providers: list = dataclasses.field(default_factory=list)
    commands: list = dataclasses.field(default_factory=list)
    services: list = dataclasses.field(default_factory=list)
    streams: list = dataclasses.field(default_factory=list)  # StreamRoute objects for `helpline streams`
    ui_fragments: list = dataclasses.field(default_factory=list)

    @property
    def title(self):
        """The name shown to people: ``display_name`` or the plugin's name."""
        return str(self.display_name or self.name)

    @property
    def loaded(self):
        return self.status == "loaded"
