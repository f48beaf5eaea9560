"""The hook the macros plugin adds for other plugins (registered through
``helpline_register_hookspecs``)."""

from app.plugin import hookspec


@hookspec
def helpline_macro_actions():
    """Return :class:`plugins.macros.actions.MacroAction` subclasses that
    macros can use (e.g. "create a Shopify refund"). Results are merged in
    plugin order; a later plugin cannot replace an earlier action's name.

    Implement it with ``@hookimpl(optionalhook=True)`` so your plugin still
    loads where the macros plugin is not installed.
    """
