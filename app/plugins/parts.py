"""A plugin's part of a page (a customer panel, its channel's card, a
settings section, a UI fragment) fails alone: the failure is logged with
the part's kind and name, and the page shows a short message in its place
instead of an error page. Under strict mode (tests, ``HELPLINE_STRICT_PLUGINS``)
a caller that passes ``strict`` gets the exception, so a plugin's own tests
see it."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

# What a part's render returns when it has nothing to show here (a panel
# not eligible for this customer): not a failure.
NOT_SHOWN = object()

# What the page shows in the part's place; a fragment is simply left out.
MESSAGES = {
    "panel": _l("This panel could not be loaded."),
    "channel card": _l("This card could not be loaded."),
    "settings section": _l("This section could not be loaded."),
}


def isolated(kind, name, render, strict=False):
    """``(render(), None)``, or ``(None, message)`` when ``render`` raised:
    logged as "<kind> <name> could not be loaded" (raised again under
    ``strict``); ``message`` is the translated text for ``kind``, None for a
    kind the page leaves out."""
    try:
        return render(), None
    except Exception:
        if strict:
            raise
        log.exception("%s %s could not be loaded", kind, name)
        message = MESSAGES.get(kind)
        return None, (str(message) if message is not None else None)
