"""Message catalogs on disk: extract a template (.pot) from the source,
update each language's .po from it, compile .po to .mo, and check that the
catalogs are complete and current. Wraps Babel's own API; the ``helpline
i18n`` commands and the catalog test call it.

One *target* per domain: the core (``app/``, domain ``messages``) and each
first-party plugin (``plugins/<name>/``, domain ``<name>``). A third-party
plugin is a target too: ``Target(source_dir, domain)`` with its package
folder (see docs/plugins.md, "Translations").
"""

from __future__ import annotations

import dataclasses
import io
import os

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import LANGUAGES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_LANGUAGE = "en"
#: What is extracted: Python with our lazy alias, and Jinja templates.
METHOD_MAP = [("**/translations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PROJECT = "Helpline"
#: Plural rules as gettext tools write them (CLDR adds a "many" form for
#: Spanish millions that no translator expects).
PLURALS = {"es": (2, "(n != 1)")}
MSGID_BUGS_ADDRESS = "https://github.com/helpline/helpline/issues"


@dataclasses.dataclass(frozen=True)
class Target:
    """One catalog domain: where its source is, and its ``translations/``."""

    source_dir: str
    domain: str

    @property
    def translations_dir(self):
        return os.path.join(self.source_dir, "translations")

    @property
    def pot_path(self):
        return os.path.join(self.translations_dir, f"{self.domain}.pot")

    def po_path(self, language):
        return os.path.join(self.translations_dir, language, "LC_MESSAGES", f"{self.domain}.po")

    def mo_path(self, language):
        return os.path.join(self.translations_dir, language, "LC_MESSAGES", f"{self.domain}.mo")

    @property
    def label(self):
        return os.path.relpath(self.source_dir, ROOT) if self.source_dir.startswith(ROOT) else self.source_dir


#: The example third-party plugins shipped in the repository keep their own
#: catalogs current with ours: (package folder, plugin name).
EXAMPLES = [("examples/helpline-jsonhook/helpline_jsonhook", "jsonhook")]


def first_party_targets():
    """The core's domain, each first-party plugin's (every package in
    ``plugins/``) and the examples', in a stable order."""
    targets = [Target(os.path.join(ROOT, "app"), "messages")]
    targets += [
        Target(os.path.join(ROOT, path), name) for path, name in EXAMPLES if os.path.isdir(os.path.join(ROOT, path))
    ]
    plugins_dir = os.path.join(ROOT, "plugins")
    for name in sorted(os.listdir(plugins_dir)):
        path = os.path.join(plugins_dir, name)
        if os.path.isfile(os.path.join(path, "__init__.py")):
            targets.append(Target(path, name))
    return targets


def extract(target):
    """A fresh template catalog from ``target``'s source (not written)."""
    catalog = Catalog(
        project=PROJECT, msgid_bugs_address=MSGID_BUGS_ADDRESS, domain=target.domain, fuzzy=False, charset="utf-8"
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        target.source_dir, METHOD_MAP, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        path = os.path.relpath(os.path.join(target.source_dir, filename), ROOT)
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def _write_po(path, catalog, **kwargs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    # No line numbers: every edit elsewhere in a file would rewrite the .po.
    write_po(buf, catalog, width=120, sort_output=True, include_lineno=False, **kwargs)
    if os.path.exists(path):
        with open(path, "rb") as fh:
            if _without_dates(fh.read()) == _without_dates(buf.getvalue()):
                return  # only the dates would change: leave the file (and git) alone
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())


def _read(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return fh.read()


def _without_dates(data):
    return [line for line in data.splitlines() if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date'))]


def read_catalog(path, locale=None):
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def write_template(target):
    """Extract and write ``<domain>.pot``; answers the message count."""
    template = extract(target)
    _write_po(target.pot_path, template, omit_header=False)
    return len(template)


def update(target, languages=tuple(LANGUAGES)):
    """Merge the template into each language's .po (created when missing;
    English translates every msgid to itself, as the source language).
    Answers ``{language: (total, untranslated, fuzzy)}``."""
    _write_po(target.pot_path, extract(target))
    summary = {}
    for language in languages:
        template = extract(target)  # update() shares message objects with it
        path = target.po_path(language)
        if os.path.exists(path):
            catalog = read_catalog(path, locale=language)
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
            catalog.obsolete.clear()  # an old msgid is history, git keeps it
        else:
            catalog = Catalog(
                locale=language,
                domain=target.domain,
                project=PROJECT,
                version=None,
                copyright_holder="Helpline contributors",
                msgid_bugs_address=MSGID_BUGS_ADDRESS,
                last_translator="Helpline contributors",
                language_team=LANGUAGES[language],
                charset="utf-8",
            )
            catalog.fuzzy = False
            if language in PLURALS:
                catalog._num_plurals, catalog._plural_expr = PLURALS[language]
            catalog.update(template)
        if language == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and (message.fuzzy or not _translated(message)):
                    message.string = message.id
                    message.flags.discard("fuzzy")
        _write_po(path, catalog)
        summary[language] = stats(catalog)
    return summary


def compile_target(target, languages=tuple(LANGUAGES)):
    """Compile each language's .po to its .mo (fuzzy entries left out, as
    gettext would). Answers ``{language: messages compiled}``."""
    done = {}
    for language in languages:
        path = target.po_path(language)
        if not os.path.exists(path):
            continue
        catalog = read_catalog(path, locale=language)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        mo_path = target.mo_path(language)
        if _read(mo_path) != buf.getvalue():
            with open(mo_path, "wb") as fh:
                fh.write(buf.getvalue())
        done[language] = sum(1 for m in catalog if m.id and _translated(m) and not m.fuzzy)
    return done


def _translated(message):
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def stats(catalog):
    """``(total, untranslated, fuzzy)`` for a read catalog."""
    messages = [m for m in catalog if m.id]
    return (
        len(messages),
        sum(1 for m in messages if not _translated(m)),
        sum(1 for m in messages if m.fuzzy),
    )


def problems(target, languages=tuple(LANGUAGES)):
    """What the CI check refuses, as sentences: a msgid in the source and
    not in a .po, an untranslated or fuzzy entry, a placeholder lost in
    translation, a .mo older than its .po (it differs from a fresh
    compile), or a .po Babel cannot compile."""
    found = []
    template = extract(target)
    for language in languages:
        path = target.po_path(language)
        label = os.path.relpath(path, ROOT)
        if not os.path.exists(path):
            found.append(f"{label}: missing")
            continue
        catalog = read_catalog(path, locale=language)
        for message in template:
            if message.id and message.id not in catalog:
                found.append(f"{label}: not extracted yet: {_show(message.id)}")
        for message in catalog:
            if not message.id:
                continue
            if message.fuzzy:
                found.append(f"{label}: fuzzy: {_show(message.id)}")
            elif not _translated(message):
                found.append(f"{label}: untranslated: {_show(message.id)}")
        for message, errors in catalog.check():
            for error in errors:
                found.append(f"{label}: {_show(message.id)}: {error}")
        found.extend(f"{label}: {p}" for p in _stale_mo(target, language, catalog))
    return found


def _stale_mo(target, language, catalog):
    path = target.mo_path(language)
    if not os.path.exists(path):
        return ["no compiled .mo: run `helpline i18n compile`"]
    with open(path, "rb") as fh:
        compiled = read_mo(fh)
    want = {_key(m.id): _key(m.string) for m in catalog if m.id and _translated(m) and not m.fuzzy}
    have = {_key(m.id): _key(m.string) for m in compiled if m.id}
    if want != have:
        return ["the .mo differs from the .po: run `helpline i18n compile`"]
    return []


def _key(value):
    return tuple(value) if isinstance(value, tuple | list) else value


def _show(msgid):
    text = msgid[0] if isinstance(msgid, tuple | list) else msgid
    return repr(text if len(text) < 70 else text[:67] + "...")
