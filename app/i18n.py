"""Translations (flask-babel): which language a page, a notice or an email
is written in, and where the catalogs are.

Two audiences, two choices:

- the **agent UI** follows the agent's own language (``Agent.language``,
  set on ``/account``), else the browser's ``Accept-Language``;
- what **customers** receive (autoresponders, notices written into a
  thread, follow-up emails, the web chat widget's default) follows the
  organization's ``customer_language`` general setting; the widget itself
  follows its visitor's browser when that is a language we have.

Catalogs: the core's ``messages`` domain in ``app/translations`` and one
domain per plugin (named after the plugin) in a ``translations/`` folder
beside the plugin package's ``__init__.py``. All of them are merged into the
one lookup that ``gettext`` and the templates' ``_()`` use, plugins first and
the core last, so a plugin translates its own strings and cannot change the
core's; a string found nowhere is shown in English (its msgid).
"""

from __future__ import annotations

import contextlib
import inspect
import os

from flask import current_app, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh

#: Languages with a catalog, in the order a picker shows them; the labels
#: are each language's own name (never translated).
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
#: How a date and time is written in lists and on tickets, per language
#: (Babel/CLDR patterns): English keeps the unambiguous ISO order,
#: Spanish writes day/month/year.
DATETIME_PATTERNS = {"en": "yyyy-MM-dd HH:mm", "es": "dd/MM/yyyy HH:mm"}
CORE_DOMAIN = "messages"
# app.extensions key of the callable answering the current agent (or None).
AGENT_LOOKUP = "helpline.current_agent"
CORE_DIR = os.path.join(os.path.dirname(__file__), "translations")


def is_language(code):
    """True for a language code with a catalog (``en``, ``es``)."""
    return isinstance(code, str) and code in LANGUAGES


def browser_language():
    """The best of our languages for the request's ``Accept-Language``, or
    None (no request, or none of ours)."""
    if not has_request_context():
        return None
    return request.accept_languages.best_match(tuple(LANGUAGES))


def select_locale():
    """The agent UI's language: the logged-in agent's choice, else the
    browser's, else English. Outside a request (tasks, CLI): English unless a
    caller forces another (``customer_language()``)."""
    if not has_request_context():
        return DEFAULT
    agent = _agent()
    choice = getattr(agent, "language", None)
    if is_language(choice):
        return choice
    return browser_language() or DEFAULT


def select_timezone():
    """The agent's time zone for Babel's date formatting (UTC without one)."""
    from .validation import is_time_zone

    name = getattr(_agent(), "timezone", None) if has_request_context() else None
    return name if is_time_zone(name) else "UTC"


def _agent():
    # The locale is asked for while rendering error pages too, when the
    # session or the database may be what failed: no agent then.
    if getattr(g, "_i18n_no_agent", False):
        return None
    # The app factory hands over app.auth's lookup (AGENT_LOOKUP): importing
    # app.auth from here would close an import cycle through app.plugins.
    lookup = current_app.extensions.get(AGENT_LOOKUP)
    if lookup is None:
        return None
    try:
        return lookup()
    except Exception:
        g._i18n_no_agent = True
        return None


def customer_locale():
    """The organization's customer-facing language (general setting
    ``customer_language``), English when unset."""
    try:
        # The plugin manager through the app (app.plugins imports this module).
        code = current_app.extensions["helpline.plugins"].get_settings("core").get("customer_language")
    except Exception:  # no database yet (first start): the default
        code = None
    return code if is_language(code) else DEFAULT


@contextlib.contextmanager
def customer_language(code=None):
    """Render what a customer receives in ``code`` (default: the
    organization's customer-facing language), whatever the agent UI uses."""
    with force_locale(code if is_language(code) else customer_locale()):
        yield


@contextlib.contextmanager
def agent_language(agent):
    """Write to ``agent`` (an email) in their chosen language; without a
    choice, in the current one (the request's)."""
    code = getattr(agent, "language", None)
    if is_language(code):
        with force_locale(code):
            yield
    else:
        yield


def team_languages(addresses):
    """Group team email ``addresses`` by the language to write to them in:
    an agent's own choice when the address is an agent's and they made one,
    else the organization's (customer-facing) language. Answers
    ``{code: [address, ...]}`` in the order given."""
    from .models import Agent

    chosen = {
        a.email: a.language
        for a in Agent.select(Agent.email, Agent.language).where(Agent.email.in_([x.lower() for x in addresses]))
    }
    fallback = customer_locale()
    groups = {}
    for address in addresses:
        code = chosen.get(address.lower())
        groups.setdefault(code if is_language(code) else fallback, []).append(address)
    return groups


def current_language():
    """The language code in use right now (``en`` / ``es``)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def datetime_pattern():
    """The Babel pattern for a date and time in the current language."""
    return DATETIME_PATTERNS.get(current_language(), DATETIME_PATTERNS[DEFAULT])


def translations_dir(obj):
    """A plugin's catalogs: its ``translations_dir`` attribute, or
    ``translations/`` beside a package plugin's ``__init__.py``."""
    path = getattr(obj, "translations_dir", None)
    if path:
        return path
    if inspect.ismodule(obj) and getattr(obj, "__file__", None) and obj.__file__.endswith("__init__.py"):
        candidate = os.path.join(os.path.dirname(obj.__file__), "translations")
        if os.path.isdir(candidate):
            return candidate
    return None


def use_catalogs(app, plugin_catalogs):
    """Merge every plugin's domain and the core's into the app's lookup.

    ``plugin_catalogs`` is ``[(directory, domain), ...]``. flask-babel
    merges the directories in order, a later catalog winning on the same
    msgid: plugins come first and the core last."""
    pairs = [(d, name) for d, name in plugin_catalogs if d] + [(CORE_DIR, CORE_DOMAIN)]
    config = app.extensions["babel"]
    config.translation_directories = [d for d, _ in pairs]
    config.default_domain = ";".join(name for _, name in pairs)
    # The merged catalogs are cached on the Babel instance's domain, built
    # from the domain list on first use: start over with the new list.
    config.instance.__dict__.pop("domain_instance", None)


def init_app(app):
    """One Babel per app (its catalog cache follows the app's plugins)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", CORE_DIR)
    babel = Babel()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_language"] = current_language
    app.before_request(_fresh_choice)


def _fresh_choice():
    # flask-babel keeps the chosen locale on ``g``; a request inside an
    # already pushed app context (tests, embedding) must choose again.
    refresh()
    g.pop("_i18n_no_agent", None)


def refresh_plugin_catalogs(app, plugins):
    """Rebuild the lookup from the loaded plugins (at startup, and after a
    late ``Plugins.register`` or ``unregister``)."""
    use_catalogs(
        app,
        [
            (info.translations_dir, info.name)
            for info in plugins.infos.values()
            if info.loaded and info.translations_dir and info.name != "core"
        ],
    )
