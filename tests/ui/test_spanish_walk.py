"""An agent who chose Spanish walks the main pages in a real browser whose
own language is English: no English word is left on screen.

English words are every word of the English catalogs that no Spanish
translation uses (so "Email", "SMS", "Total" or "Tickets", which Spanish
writes the same, are not flagged), read from the catalogs themselves so
the list never falls behind the strings."""

import re

import pytest

from app import catalogs
from app.services import messages, tickets
from plugins.macros import service as macros

# Proper names on the pages under test (test data, brands, time zones).
ALLOWED = {"fake", "helpline", "shopify", "twilio", "utc", "gmt", "mexico_city", "america"}
WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
# The page's text, hidden parts (dialogs, menus) included, without code
# (template variables such as ticket.subject) and time zone names (the
# profile's picker and every settings form's timezone widget).
SCREEN_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, kbd, script, style, #profile-timezone option, .field-timezone option").forEach((n) => n.remove());
  const attrs = [...document.querySelectorAll("[placeholder], [aria-label], [title]")].map(
    (n) => [n.getAttribute("placeholder"), n.getAttribute("aria-label"), n.getAttribute("title")].join(" "));
  return body.textContent + " " + attrs.join(" ");
}"""


def english_words():
    english, spanish = set(), set()
    for target in catalogs.first_party_targets():
        for message in catalogs.read_catalog(target.po_path("es"), "es"):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            english.update(w.lower() for text in ids for w in WORD.findall(re.sub(r"%\(\w+\)\w|\{[^}]*\}", "", text)))
            spanish.update(w.lower() for text in strings for w in WORD.findall(text))
    return english - spanish - ALLOWED


@pytest.fixture
def spanish_agent(make_agent):
    agent = make_agent(role="owner", name="Lucía Gómez", password=None)
    agent.language, agent.timezone = "es", "America/Mexico_City"
    agent.save()
    return agent


def test_spanish_agent_sees_no_english(pages, spanish_agent, fake_channel, screenshot, app):
    ticket = fake_channel.receive("¿Dónde está mi pedido?", name="Marta Pérez", email="marta@example.net").ticket
    tickets.change_tags(ticket, add=["vip"])
    messages.reply(ticket, spanish_agent, "Sale hoy mismo.")
    fake_channel.receive("Quiero cambiar la talla", name="Jorge Ruiz", email="jorge@example.net")
    macros.create(spanish_agent, "Gracias", "¡Gracias por escribirnos!", [], True)
    flagged = english_words()
    assert {"unassigned", "inbox", "settings"} <= flagged  # the detector knows English when it sees it

    page = pages.login(spanish_agent, start="/inbox/unassigned")
    screenshot(page, "inbox-es")
    left = {}
    walk = [
        "/inbox/mine",
        "/inbox/unassigned",
        "/inbox/all",
        f"/t/{ticket.id}",
        "/settings",
        "/settings/plugins",
        "/settings/agents",
        "/settings/rules",
        "/reports",
        "/macros",
        "/macros/new",
        "/account",
    ]
    for url in walk:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "es", url
        text = page.evaluate(SCREEN_TEXT)
        # Each English word with its surroundings, so a failure says where.
        found = [m for m in WORD.finditer(text) if m.group().lower() in flagged]
        if found:
            left[url] = sorted({" ".join(text[max(m.start() - 30, 0) : m.end() + 30].split()) for m in found})
    assert left == {}, repr(left)
