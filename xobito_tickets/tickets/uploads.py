"""Attachment checks of SPEC §6: name, extension, size and content (magic bytes)."""

import io
import os
import re
import struct
import unicodedata
from dataclasses import dataclass

from ..i18n.setup import lazy_gettext as _l


@dataclass
class UploadedFile:
    """A validated upload: the cleaned display name, the server-chosen type, the data."""

    filename: str
    content_type: str
    stream: object
    size: int


#: What each allowed extension must contain, and the type the server serves it as.
KINDS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
    "zip": "application/zip",
}

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif"}

_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class UploadRejected(ValueError):
    """The file cannot be accepted; the message says why, for the form."""


def clean_filename(name, fallback="attachment"):
    """Return a display name with no path parts, control or bidi characters, or quotes."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters, and the line and paragraph separators (U+2028/9).
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and unicodedata.category(c) not in ("Zl", "Zp"))
    name = _BIDI_AND_INVISIBLE.sub("", name)
    name = name.replace('"', "").replace("'", "").replace("`", "")
    name = name.strip().strip(".").strip()
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        name = stem[: 200 - len(ext)] + ext
    return name or fallback


def extension_of(name):
    """Return the lower-case extension of ``name`` without the dot ("" if none)."""
    _, ext = os.path.splitext(name)
    return ext[1:].lower()


def _image_kind(head):
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    return None


_MARKUP = re.compile(
    rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|style|a\s|img\s)", re.IGNORECASE
)


#: Control characters (Unicode category Cc) other than tab, line feed, form feed and
#: carriage return. A regex, not a per-character loop: a 10 MB log is checked in
#: milliseconds instead of half a second.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _is_text(data):
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _CONTROL_CHARACTERS.search(text):
        return False
    # A browser would sniff markup and run it; plain text logs never start like this.
    return not _MARKUP.match(data[:1024].lstrip(b"\xef\xbb\xbf"))


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_CENTRAL_ENTRY = struct.Struct("<4s6H3L5H2L")  # central directory file header (46 bytes)
_ZIP64_LOCATOR = b"PK\x06\x07"
#: Central directory entries a .docx check reads at most: Word writes a dozen or two,
#: and "[Content_Types].xml" comes first. An archive is never read whole.
DOCX_ENTRIES_READ = 200


def _end_of_central_directory(stream):
    """Return ``(entries, cd_size, cd_offset)`` of a zip's end record, or None if it has none.

    Only the end of the file is read (the record and its comment, at most 64 KiB): a
    10 MB archive of 200,000 entries costs what a small one does. ``zipfile`` would
    parse the whole central directory first.
    """
    size = stream.seek(0, io.SEEK_END)
    tail_size = min(size, _EOCD.size + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    position = tail.rfind(b"PK\x05\x06")
    while position >= 0:
        if position + _EOCD.size <= len(tail):
            fields = _EOCD.unpack_from(tail, position)
            comment_length = fields[7]
            if position + _EOCD.size + comment_length == len(tail):
                _, disk, cd_disk, _, entries, cd_size, cd_offset, _ = fields
                record_at = size - tail_size + position
                zip64 = tail[max(0, position - 20) : position].startswith(_ZIP64_LOCATOR)
                if disk != 0 or cd_disk != 0:
                    return None  # split archives are not attachments
                if not zip64 and cd_offset + cd_size > record_at:
                    return None
                return entries, cd_size, cd_offset
        position = tail.rfind(b"PK\x05\x06", 0, position)
    return None


def _is_zip(stream):
    return _end_of_central_directory(stream) is not None


def _is_docx(stream):
    """True if the zip's first central directory entries name ``[Content_Types].xml`` and a ``word/`` part."""
    end = _end_of_central_directory(stream)
    if end is None:
        return False
    entries, cd_size, cd_offset = end
    stream.seek(cd_offset)
    directory = stream.read(min(cd_size, DOCX_ENTRIES_READ * (_CENTRAL_ENTRY.size + 300)))
    names, offset = set(), 0
    for _ in range(min(entries, DOCX_ENTRIES_READ)):
        if offset + _CENTRAL_ENTRY.size > len(directory):
            break
        fields = _CENTRAL_ENTRY.unpack_from(directory, offset)
        if fields[0] != b"PK\x01\x02":
            return False
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        start = offset + _CENTRAL_ENTRY.size
        names.add(directory[start : start + name_length].decode("utf-8", "replace"))
        offset = start + name_length + extra_length + comment_length
        if "[Content_Types].xml" in names and any(name.startswith("word/") for name in names):
            return True
    return False


def check_content(ext, stream):
    """Return the served content type if ``stream``'s bytes match extension ``ext``.

    Raises :class:`UploadRejected` otherwise. Images may be any of the allowed image
    formats (mislabelled screenshots are common); they are served as what they are.
    """
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if ext in IMAGE_EXTENSIONS:
        kind = _image_kind(head)
        if kind is None:
            raise UploadRejected(_l("is not a JPEG, PNG or GIF image."))
        return KINDS[kind]
    if ext == "pdf":
        if not head.startswith(b"%PDF-"):
            raise UploadRejected(_l("is not a PDF document."))
        return KINDS["pdf"]
    if ext == "doc":
        if not head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise UploadRejected(_l("is not a Word document."))
        return KINDS["doc"]
    if ext == "docx":
        if not head.startswith(b"PK\x03\x04") or not _is_docx(stream):
            stream.seek(0)
            raise UploadRejected(_l("is not a Word (.docx) document."))
        stream.seek(0)
        return KINDS["docx"]
    if ext == "zip":
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")) or not _is_zip(stream):
            stream.seek(0)
            raise UploadRejected(_l("is not a zip archive."))
        stream.seek(0)
        return KINDS["zip"]
    if ext == "txt":
        data = stream.read()
        stream.seek(0)
        if not _is_text(data):
            raise UploadRejected(_l("is not a plain text file (UTF-8 text, no markup)."))
        return KINDS["txt"]
    raise UploadRejected(_l("is not an allowed type."))


def stream_size(stream):
    """Return the size of a seekable stream, leaving it at the start."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size
