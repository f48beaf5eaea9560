"""Raw RFC 5322 bytes -> :class:`ParsedEmail`, with the standard library's
``email`` package (``policy.default``). Every step is guarded: mail from
the internet is often broken (unknown charsets, truncated MIME, absurd
nesting, megabyte headers), and a broken message must still become a
readable message, never an exception in a worker."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import re
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

from .addresses import addresses_in, message_ids

log = logging.getLogger(__name__)

MAX_HEADER_CHARS = 4000  # per header value kept
MAX_REFERENCES_CHARS = 200_000
MAX_PARTS = 200  # leaf MIME parts walked
MAX_MULTIPARTS = 300  # containers; past this only headers are parsed (the parser is slow on them)
MAX_ATTACHMENTS = 50
MAX_REFERENCES = 100
MAX_AUTHENTICATION_RESULTS = 10  # the trusted one is near the top; a mail could carry thousands


@dataclasses.dataclass
class ParsedEmail:
    """What Helpline reads from one message; ``problems`` lists what was broken."""

    message_id: str
    sender_name: str = ""
    sender_email: str | None = None
    recipients: list = dataclasses.field(default_factory=list)
    cc: list = dataclasses.field(default_factory=list)
    reply_to_name: str = ""
    reply_to_email: str | None = None
    subject: str = ""
    text: str = ""
    html: str = ""
    in_reply_to: list = dataclasses.field(default_factory=list)
    references: list = dataclasses.field(default_factory=list)
    # (filename, content_type, bytes, content_id or None)
    attachments: list = dataclasses.field(default_factory=list)
    headers: dict = dataclasses.field(default_factory=dict)  # lowercased name -> value (loop guard)
    # Authentication-Results values, top to bottom (authcheck reads them)
    authentication_results: list = dataclasses.field(default_factory=list)
    content_type: str = ""
    problems: list = dataclasses.field(default_factory=list)
    generated_id: bool = False

    @property
    def related_ids(self):
        """In-Reply-To then References latest first, without duplicates
        (the core looks at a bounded number; the most recent matter most)."""
        seen, out = set(), []
        for mid in self.in_reply_to + self.references[::-1]:
            if mid and mid not in seen:
                seen.add(mid)
                out.append(mid)
        return out[:MAX_REFERENCES]

    @property
    def thread_root(self):
        """The root Message-ID of the thread this message belongs to."""
        if self.references:
            return self.references[0]
        if self.in_reply_to:
            return self.in_reply_to[0]
        return self.message_id


def hashed_message_id(raw: bytes) -> str:
    """A stable id for a message without a Message-ID (same bytes, same id)."""
    return f"sha256.{hashlib.sha256(raw).hexdigest()[:40]}@missing-message-id.invalid"


_FOLD = re.compile(rb"\r?\n[ \t]+")
MAX_HEAD_BYTES = 256 * 1024


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID of raw bytes read from the header block alone (no MIME
    parse), so a re-delivery is recognised before the costly parse: the id
    :func:`parse` gives, or None when the headers are unusual (several or
    non-ASCII Message-ID headers) and only the full parse can tell."""
    ends = [i for i in (raw.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES), raw.find(b"\n\n", 0, MAX_HEAD_BYTES)) if i >= 0]
    if not ends:
        return None
    head = _FOLD.sub(b" ", raw[: min(ends)])
    values = [line.split(b":", 1)[1] for line in head.splitlines() if line[:11].lower() == b"message-id:"]
    if not values:
        return hashed_message_id(raw)
    if len(values) > 1 or not values[0].isascii() or b"\x00" in values[0]:
        return None
    ids = message_ids(values[0].decode("ascii")[:MAX_HEADER_CHARS])
    return ids[0] if ids else None


GUARD_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-helpline",
    "list-id",
    "return-path",
    "x-failed-recipients",
)


class _ReadPolicy(policy.EmailPolicy):
    """``policy.default`` for reading, except that a header value read again
    is parsed once: the stdlib parses a header on every access, and
    ``Content-Type`` alone is read by each ``get_content_type``,
    ``get_param``, ``get_filename`` and ``get_content`` of a part (a third
    of the parse's time went to parsing the same few headers again)."""

    def header_fetch_parse(self, name, value):
        if isinstance(value, str) and not hasattr(value, "name") and len(value) <= _CACHED_HEADER_CHARS:
            return _parsed_header(name, value)
        return super().header_fetch_parse(name, value)


_CACHED_HEADER_CHARS = 1000


@functools.lru_cache(maxsize=1024)
def _parsed_header(name, value):
    # Header objects are immutable (a str with read-only attributes), so
    # parts and messages can share one.
    return policy.default.header_fetch_parse(name, value)


READ_POLICY = _ReadPolicy()


def parse(raw: bytes) -> ParsedEmail:
    """Parse raw bytes; never raises. Problems are listed on the result."""
    result = ParsedEmail(message_id=hashed_message_id(raw), generated_id=True)
    headers_only = raw.lower().count(b"multipart/") > MAX_MULTIPARTS
    if headers_only:
        result.problems.append("too_many_multiparts")
    try:
        msg = BytesParser(policy=READ_POLICY).parsebytes(raw, headersonly=headers_only)
    except (RecursionError, Exception) as exc:
        result.problems.append(f"unparseable: {type(exc).__name__}")
        result.text = _decode(raw)
        return result
    if msg.defects:
        result.problems.extend(type(d).__name__ for d in msg.defects[:20])

    mid = message_ids(_header(msg, "message-id"))
    if mid:
        result.message_id, result.generated_id = mid[0], False
    name, addr = parseaddr(_header(msg, "from"))
    if "@" in addr:
        result.sender_name, result.sender_email = name.strip()[:200], addr.strip().lower()[:254]
    elif _header(msg, "from"):
        result.problems.append("from_without_address")
    name, addr = parseaddr(_header(msg, "reply-to"))
    if "@" in addr:
        result.reply_to_name, result.reply_to_email = name.strip()[:200], addr.strip().lower()[:254]
    result.cc = addresses_in([_header(msg, "cc")])[:20]
    result.subject = " ".join(_header(msg, "subject").split())[:255]
    result.recipients = addresses_in([_header(msg, h) for h in ("to", "cc", "delivered-to", "x-original-to")])
    result.in_reply_to = message_ids(_header(msg, "in-reply-to"))[:5]
    refs = message_ids(_header(msg, "references", limit=MAX_REFERENCES_CHARS))
    # Keep both ends of a long chain: the root names the thread, the tail the latest messages.
    result.references = refs if len(refs) <= MAX_REFERENCES else refs[:1] + refs[-(MAX_REFERENCES - 1) :]
    present = {k.lower() for k in msg.keys()}
    result.headers = {h: _header(msg, h) for h in GUARD_HEADERS if h in present}
    if "authentication-results" in present:
        result.authentication_results = _all_headers(msg, "authentication-results")
    try:
        result.content_type = msg.get_content_type()
    except Exception:
        result.content_type = "text/plain"
    if headers_only:
        result.text = _decode(_body_bytes(raw))
        return result
    try:
        _walk_parts(msg, result)
    except RecursionError:
        result.problems.append("nesting_too_deep")
    except Exception as exc:  # the stdlib has parser bugs on hostile input; keep what we have
        log.warning("MIME walk failed on %s: %r", result.message_id, exc)
        result.problems.append(f"walk_failed: {type(exc).__name__}")
    if not result.text and not result.html and not result.attachments:
        # Nothing recognisable: show the body as text rather than nothing.
        result.text = _decode(_body_bytes(raw))
    return result


def _header(msg, name, limit=MAX_HEADER_CHARS):
    """A header value as text, bounded; falls back to the raw value when the
    structured parser chokes on it."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:
        try:
            return _raw_text(next((v for k, v in msg.raw_items() if k.lower() == name), ""), limit)
        except Exception:
            return ""
    return text.replace("\x00", "")[:limit]


def _raw_text(value, limit=MAX_HEADER_CHARS):
    """A header's raw value (undecodable bytes kept as surrogates by the
    parser) as text, bounded, without NUL."""
    text = value if isinstance(value, str) else str(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")[:limit]


def _all_headers(msg, name, most=MAX_AUTHENTICATION_RESULTS):
    """Every value of a header, top to bottom, each bounded; raw values,
    since the structured parser adds nothing for these."""
    values = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            values.append(_raw_text(value))
            if len(values) == most:
                break
    return values


def _walk_parts(msg, result):
    text_parts, html_parts = [], []
    count = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        count += 1
        if count > MAX_PARTS:
            result.problems.append("too_many_parts")
            break
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "application/octet-stream"
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception:
            disposition, filename = "attachment", None
        is_body = disposition != "attachment" and not filename and ctype in ("text/plain", "text/html")
        if is_body:
            content = _text_of(part, result)
            (html_parts if ctype == "text/html" else text_parts).append(content)
            continue
        if ctype in ("message/delivery-status", "message/disposition-notification"):
            continue
        if len(result.attachments) >= MAX_ATTACHMENTS:
            result.problems.append("too_many_attachments")
            continue
        data = _payload_bytes(part)
        content_id = message_ids(_header(part, "content-id"))
        result.attachments.append(
            (filename or _default_name(ctype), ctype, data, content_id[0] if content_id else None)
        )
    result.text = "\n\n".join(t for t in text_parts if t.strip()).strip()
    result.html = "\n".join(h for h in html_parts if h.strip())


def _text_of(part, result):
    try:
        text = _mislabelled_utf8(part)
        if text is None:
            text = part.get_content()
    except Exception as exc:  # unknown charset, bad transfer encoding...
        result.problems.append(f"undecodable_part: {type(exc).__name__}")
        text = _decode(_payload_bytes(part))
    # Mail arrives with CRLF line ends; people and quote detection expect LF.
    return text.replace("\r\n", "\n").replace("\x00", "")


def _mislabelled_utf8(part):
    """The text of a part labelled US-ASCII (or unlabelled) whose bytes are
    valid UTF-8: many mailers send UTF-8 under the default label, and
    decoding it as ASCII would turn every accent into a replacement mark."""
    charset = (part.get_content_charset() or "us-ascii").lower()
    if charset not in ("us-ascii", "ascii", "ansi_x3.4-1968"):
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or data.isascii():
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _payload_bytes(part):
    try:
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
    except Exception:
        pass
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _decode(data: bytes) -> str:
    """Best-effort text of unknown bytes (no NULs: PostgreSQL refuses them)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # never fails; right for most legacy mail
    return text.replace("\r\n", "\n").replace("\x00", "")


def _body_bytes(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in raw:
            return raw.split(sep, 1)[1]
    return raw


def _default_name(ctype):
    main, _, sub = ctype.partition("/")
    ext = {"rfc822": "eml", "plain": "txt", "jpeg": "jpg"}.get(sub, sub or "bin")
    return f"attachment.{ext[:10]}"
