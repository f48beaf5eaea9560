"""Auto-close: closes tickets whose customer has not answered an agent or
bot reply within the inactivity period (docs/rules.md, "Auto-close
inactive tickets").

Off until the merchant turns the plugin on: its switch is the rule's."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

default_enabled = False
display_name = _l("Auto-close")
description = _l(
    "Closes a ticket when the customer has not answered an agent or bot reply within the inactivity period; "
    "the thread says why. Preview what a period would close, or run it dry for a week, before switching it on."
)


@hookimpl
def helpline_register_rules():
    from .rule import InactivityRule

    return [InactivityRule]


@hookimpl
def helpline_register_settings():
    from .schemas import AutoCloseSettings

    return AutoCloseSettings


@hookimpl
def helpline_register_settings_sections():
    from .sections import DryRunSection, PreviewSection

    return [PreviewSection, DryRunSection]


@hookimpl
def helpline_register_tasks():
    return ["plugins.autoclose.tasks"]


@hookimpl
def helpline_register_blueprints():
    from .api import bp as api
    from .views import bp

    return [bp, api]
