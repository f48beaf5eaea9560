"""Auto-close: closes tickets whose customer has not answered an agent or
bot reply within the inactivity period (docs/rules.md, "Auto-close
inactive tickets").

The plugin is loaded and enabled like any other, but it does nothing until
the merchant switches its ``enabled`` setting on (off by default)."""

from flask_babel import lazy_gettext as _l

from app.plugin import hookimpl

# Shown on the plugins page, in the agent's language.
description = _l("Closes tickets whose customer has not answered an agent or bot reply within the inactivity period.")


@hookimpl
def helpline_register_rules():
    from .rule import InactivityRule

    return [InactivityRule]


@hookimpl
def helpline_register_settings():
    from .schemas import AutoCloseSettings

    return AutoCloseSettings


@hookimpl
def helpline_register_tasks():
    return ["plugins.autoclose.tasks"]


@hookimpl
def helpline_register_blueprints():
    from .api import bp as api
    from .views import bp

    return [bp, api]
