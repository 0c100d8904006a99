"""Attachment checks of SPEC §6: name, extension, size and content (magic bytes)."""

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass


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


def _is_zip(stream):
    try:
        with zipfile.ZipFile(stream) as archive:
            archive.namelist()
        return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return False


def _is_docx(stream):
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
        return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
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
            raise UploadRejected("is not a JPEG, PNG or GIF image.")
        return KINDS[kind]
    if ext == "pdf":
        if not head.startswith(b"%PDF-"):
            raise UploadRejected("is not a PDF document.")
        return KINDS["pdf"]
    if ext == "doc":
        if not head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise UploadRejected("is not a Word document.")
        return KINDS["doc"]
    if ext == "docx":
        if not head.startswith(b"PK\x03\x04") or not _is_docx(stream):
            stream.seek(0)
            raise UploadRejected("is not a Word (.docx) document.")
        stream.seek(0)
        return KINDS["docx"]
    if ext == "zip":
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")) or not _is_zip(stream):
            stream.seek(0)
            raise UploadRejected("is not a zip archive.")
        stream.seek(0)
        return KINDS["zip"]
    if ext == "txt":
        data = stream.read()
        stream.seek(0)
        if not _is_text(data):
            raise UploadRejected("is not a plain text file (UTF-8 text, no markup).")
        return KINDS["txt"]
    raise UploadRejected("is not an allowed type.")


def stream_size(stream):
    """Return the size of a seekable stream, leaving it at the start."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size
