"""RFC 5322 bytes to a :class:`ParsedMessage`; never raises, says why a message cannot be used.

Address headers are read from the raw header text with :func:`email.utils.getaddresses`
(the modern header parser takes seconds on a 10,000-recipient ``To``), bodies with
``policy.default``. Loop and noise signs (RFC 3834 and the usual vendor headers) are
reported as ``noise``; structural damage as ``problem`` (the message is then quarantined).
"""

import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from .quotes import cut_reply, html_to_text, normalize_newlines

#: The most MIME parts looked at; a message with more is read up to here.
MAX_PARTS = 200
#: The most recipient addresses read from each address header.
MAX_ADDRESSES_PER_HEADER = 500
#: Raw header values longer than this are cut before they are parsed.
MAX_HEADER_CHARS = 64_000

_MSGID_RE = re.compile(r"<[^<>\s]{1,250}>")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_BAD_STRUCTURE = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)


@dataclass
class InboundFile:
    """A file carried by the message (an attachment or an inline image)."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMessage:
    """What ingest needs from one message. ``problem`` set: quarantine it; ``noise`` set: ignore it."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: str = ""
    sender_name: str = ""
    recipients: list[str] = field(default_factory=list)
    text: str = ""
    reply_text: str = ""
    files: list[InboundFile] = field(default_factory=list)
    noise: str | None = None
    problem: str | None = None

    @property
    def thread_ids(self):
        """Return the Message-IDs this message answers, the most recent first."""
        seen, ordered = set(), []
        for mid in self.in_reply_to + list(reversed(self.references)):
            if mid not in seen:
                seen.add(mid)
                ordered.append(mid)
        return ordered


def one_line(value, limit=255):
    """Return ``value`` on one line without control characters, at most ``limit`` characters."""
    text = " ".join(_CONTROL_RE.sub(" ", str(value or "")).split())
    return text[:limit]


def _raw_headers(message, name):
    values = []
    for key, value in message.raw_items():
        if key.lower() == name:
            values.append(str(value)[:MAX_HEADER_CHARS])
    return values


def _header(message, name):
    values = _raw_headers(message, name)
    return values[0] if values else ""


def _decoded(value):
    """Return an encoded-word header value as text (unknown charsets replaced, never raising)."""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email_errors.HeaderParseError):
        return value.encode("ascii", "replace").decode() if isinstance(value, str) else ""


def _addresses(message, *names):
    found = []
    for name in names:
        for value in _raw_headers(message, name):
            pairs = getaddresses([value])[:MAX_ADDRESSES_PER_HEADER]
            found.extend(address.strip().lower() for _, address in pairs if "@" in address)
    return found


def _message_ids(value):
    return _MSGID_RE.findall(value or "")[:100]


def noise_reason(message, sender):
    """Return why ``message`` is an automatic one that must get no answer, or None."""
    auto = _header(message, "auto-submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"automatic message (Auto-Submitted: {one_line(auto, 40)})"
    precedence = _header(message, "precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"bulk mail (Precedence: {precedence})"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponse"):
        if _raw_headers(message, name):
            return f"automatic reply ({name.title()})"
    if message.get_content_type() == "multipart/report":
        return "delivery or read report"
    return_paths = _raw_headers(message, "return-path")
    if return_paths and return_paths[0].strip() in ("<>", ""):
        return "empty Return-Path (a bounce)"
    local = sender.partition("@")[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    return None


def _part_text(part):
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError):
        data = part.get_payload(decode=True) or b""
        content = data.decode("utf-8", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return str(content)


def _filename(part):
    try:
        name = part.get_filename()
    except (ValueError, LookupError, UnicodeError, IndexError, email_errors.HeaderParseError):
        name = None
    return _decoded(name) if name else None


def _walk(message):
    """Yield leaf parts, depth first, at most MAX_PARTS of them."""
    count = 0
    stack = [message]
    while stack and count < MAX_PARTS:
        part = stack.pop()
        count += 1
        # A forwarded mail (message/rfc822) is one file, not parts of this message.
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(reversed(payload))
            continue
        yield part


def _read_body(message, parsed):
    plain, html = None, None
    for part in _walk(message):
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if ctype == "text/plain" and disposition != "attachment" and not filename and plain is None:
            plain = _part_text(part)
        elif ctype == "text/html" and disposition != "attachment" and not filename and html is None:
            html = _part_text(part)
        elif ctype.startswith("multipart/") or ctype == "message/delivery-status":
            continue
        else:
            if ctype == "message/rfc822":
                payload = part.get_payload()
                data = payload[0].as_bytes() if isinstance(payload, list) and payload else b""
            else:
                data = part.get_payload(decode=True) or b""
            if not filename:
                extension = {"message/rfc822": "eml", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
                filename = f"{'image' if ctype.startswith('image/') else 'attachment'}.{extension.get(ctype, 'bin')}"
            parsed.files.append(InboundFile(filename, ctype, data, inline=disposition == "inline"))
    if plain is not None and plain.strip():
        parsed.text = normalize_newlines(plain).strip()
        parsed.reply_text = cut_reply(plain)
    elif html is not None:
        parsed.text = html_to_text(html, drop_quotes=False)
        parsed.reply_text = cut_reply(html_to_text(html))
    if not parsed.reply_text:
        parsed.reply_text = parsed.text


def parse_message(raw):
    """Return the :class:`ParsedMessage` of the RFC 5322 bytes ``raw``; damage is reported, never raised."""
    parsed = ParsedMessage()
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        parsed.problem = "empty message"
        return parsed
    try:
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a reason to quarantine, not a crash
        parsed.problem = f"unreadable message ({type(exc).__name__})"
        return parsed
    try:
        # The address is taken from the raw header and only the name decoded: an encoded
        # word can hold "<other@…>", which must stay part of the name.
        name, address = parseaddr(_header(message, "from"))
        parsed.sender = address.strip().lower() if "@" in address and address.isascii() else ""
        parsed.sender_name = one_line(_decoded(name), 200)
        parsed.subject = one_line(_decoded(_header(message, "subject")), 255)
        ids = _message_ids(_header(message, "message-id"))
        parsed.message_id = ids[0] if ids else ""
        parsed.in_reply_to = _message_ids(_header(message, "in-reply-to"))
        parsed.references = _message_ids(" ".join(_raw_headers(message, "references")))
        parsed.recipients = _addresses(message, "to", "cc", "delivered-to", "x-original-to")
        parsed.noise = noise_reason(message, parsed.sender)
        if not _raw_headers(message, "from"):
            parsed.problem = "no From header"
        elif not parsed.sender:
            parsed.problem = "the From header holds no address"
        if any(isinstance(defect, _BAD_STRUCTURE) for defect in message.defects):
            parsed.problem = parsed.problem or "malformed MIME structure"
        _read_body(message, parsed)
        for part in message.walk() if not parsed.problem else ():
            if any(isinstance(defect, _BAD_STRUCTURE) for defect in part.defects):
                parsed.problem = "malformed MIME structure"
                break
    except RecursionError:
        parsed.problem = "MIME parts nested too deeply"
    except Exception as exc:  # noqa: BLE001 - a hostile message must be quarantined, never crash the door
        parsed.problem = f"unreadable message ({type(exc).__name__})"
    return parsed


def header_block(raw, limit=262_144):
    """Return the header section of ``raw`` (up to the first empty line, at most ``limit`` bytes)."""
    head = bytes(raw[:limit])
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends)] + b"\r\n\r\n" if ends else head + b"\r\n\r\n"


def looks_like_message(raw):
    """Return True if ``raw`` starts with a header section that has a From header."""
    if not raw or not raw.strip():
        return False
    return parse_message(header_block(raw)).problem not in ("empty message", "no From header")
