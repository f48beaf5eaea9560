"""Quoted history and signatures stripped for display. The full text stays
in the message meta and the raw message, so nothing is lost."""

import re

import quotequail

# "On Mon, Jan 5 ... wrote:", "Le ... a écrit :", Outlook's separator.
_ATTRIBUTION = re.compile(
    r"(wrote|schrieb|écrit|escribió|scritto|geschreven)\s*:\s*$|^-{3,}\s*original message", re.IGNORECASE
)
_SIGNATURE = re.compile(r"\n-- ?\n.*\Z|\n(Sent from my \w+[^\n]*|Get Outlook for \w+[^\n]*)\s*\Z", re.DOTALL)
_HTML_ATTRIBUTION = re.compile(
    # Tags may sit inside the line: Gmail wraps the address in a mailto link.
    r"\b(On|Le|Am|El|Il|Op)\b(?:[^<]|<[^<>]{0,300}>){0,300}?(wrote|schrieb|a écrit|escribió|ha scritto|"
    r"schreef)\s*:",
    re.IGNORECASE,
)
MAX_QUOTE_INPUT = 200_000  # quotequail is line based; bound its work
# Every pattern quotequail looks for (an "On ... wrote:" line, a "---- Original
# Message ----" or underscore separator, a "date name <address>" line) ends a
# line with one of these characters: a text without such a line has no quote
# it would find, and skipping it saves most of a plain message's parse time.
_MAY_QUOTE = re.compile(r"[:>_-]\s*$", re.MULTILINE)


def strip_text(text):
    """The new part of a plain-text reply (no quoted history, no signature)."""
    if not text or len(text) > MAX_QUOTE_INPUT:
        return text or ""
    try:
        # No line limit: quotequail's default hides everything after line
        # 1,000 as if it were a quote. The attribution line ("On ... wrote:",
        # even wrapped or around a mailto link) goes with the quote.
        chunks = (
            quotequail.quote(text, limit=None, quote_intro_line=True) if _MAY_QUOTE.search(text) else [(True, text)]
        )
    except Exception:  # a library hiccup must not cost us the message
        return text
    visible = "".join(part for show, part in chunks if show) if len(chunks) > 1 else text
    lines = visible.rstrip().split("\n")
    if len(chunks) > 1 and lines and _ATTRIBUTION.search(lines[-1].strip()):
        lines = lines[:-1]
    visible = "\n".join(lines)
    visible = _SIGNATURE.sub("", "\n" + visible).lstrip("\n")
    return visible.strip() or text.strip()


def strip_html(markup):
    """The new part of an HTML reply, or None when no quote was recognised."""
    if not markup or len(markup) > MAX_QUOTE_INPUT:
        return None
    try:
        chunks = quotequail.quote_html(markup, limit=MAX_QUOTE_INPUT, quote_intro_line=True)
    except Exception:
        return None
    if len(chunks) < 2:
        return None
    visible = "".join(part for show, part in chunks if show)
    # quotequail leaves the "On ... wrote:" line; cut it when only markup follows
    # (nh3 closes the tags the cut leaves open).
    matches = list(_HTML_ATTRIBUTION.finditer(visible))
    if matches and not re.sub(r"<[^>]*>|\s|&nbsp;", "", visible[matches[-1].end() :]):
        visible = visible[: matches[-1].start()]
    return visible
