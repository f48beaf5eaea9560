"""Macros: reusable replies with actions, for one ticket or many at once.

Actions: set status, snooze, tags, assign, internal note, and any action
another plugin registers through ``helpline_macro_actions``. Agents apply a
macro from the composer (shortcut m) or from the bulk bar."""

from flask_babel import lazy_gettext as _l

from app.plugin import Permission, hookimpl

display_name = _l("Macros")
description = _l(
    "Reusable replies with actions (status, snooze, tags, assignment, internal note) that agents apply to one ticket from the composer or to many at once from the bulk bar."
)


@hookimpl
def helpline_register_hookspecs():
    from . import hookspecs

    return [hookspecs]


@hookimpl
def helpline_register_permissions():
    """``shared_macros``: create, change and delete macros the whole team uses."""
    from flask_babel import lazy_gettext as _l

    return [Permission("shared_macros", _l("Shared macros"), roles=("owner", "admin", "manager"))]


@hookimpl
def helpline_register_models():
    from .models import MODELS

    return MODELS


@hookimpl
def helpline_register_blueprints():
    from .pages import bp as pages
    from .views import bp as api

    return [api, pages]


@hookimpl
def helpline_register_ui_fragments():
    return [
        ("head", "macros/head.html"),
        ("composer_tools", "macros/composer_tools.html"),
        ("bulk_actions", "macros/bulk_actions.html"),
        ("settings_nav", "macros/settings_nav.html"),
    ]


@hookimpl
def helpline_register_tasks():
    return ["plugins.macros.tasks"]


@hookimpl
def helpline_macro_actions():
    from .actions import BUILTIN_ACTIONS

    return BUILTIN_ACTIONS
