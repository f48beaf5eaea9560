"""Sanitized HTML for display: customer HTML goes through nh3; plain text
is escaped and given line breaks and links."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_URL = re.compile(r"(https?://[^\s<>\"]+)")


def sanitize(markup):
    """Customer or agent HTML made safe to display: only harmless tags and
    attributes survive, links get ``rel="noopener noreferrer nofollow"``.
    """
    if not markup:
        return ""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


# Punctuation (and quotes, escaped by then) that ends a sentence rather than
# the address: "see https://x.example/a." links to https://x.example/a.
_TRAILING = ("&quot;", "&#x27;", "&gt;", ".", ",", ";", ":", "!", "?")


def _link(match):
    url, tail = match.group(1), ""
    while url:
        end = next((t for t in _TRAILING if url.endswith(t)), None)
        if end is None and url.endswith(")") and url.count("(") < url.count(")"):
            end = ")"  # "(see https://x.example/a)" but not a wiki's "/Foo_(bar)"
        if end is None:
            break
        url, tail = url[: -len(end)], end + tail
    if "://" not in url or url.endswith("://"):
        return match.group(1)
    return f'<a href="{url}">{url}</a>{tail}'


def text_to_html(text):
    """Plain text as safe HTML: escaped, paragraphs and line breaks kept,
    web addresses made links (without the punctuation that ends a sentence).
    """
    escaped = html.escape(text or "")
    linked = _URL.sub(_link, escaped)
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", linked.strip()) if p]
    return sanitize("".join(f"<p>{p}</p>" for p in paragraphs))


def preview(text, length=160):
    """One line of ``text`` (whitespace collapsed), cut to ``length``
    characters with an ellipsis: for lists, notifications and alerts.
    """
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
