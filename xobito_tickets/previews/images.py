"""Which stored attachments may be shown inline, and as what type (decided from their bytes)."""

from flask import Response, abort, current_app

from ..tickets.storage import get_storage

#: The only types ever sent inline; svg (script) and everything else stay downloads.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif")


def sniff_image_type(head):
    """Return the image type of a file starting with ``head`` (JPEG, PNG, GIF), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


def is_previewable(attachment):
    """Return True if ``attachment`` was accepted as an image (the thread then shows a thumbnail)."""
    return attachment.content_type in INLINE_TYPES


class _ImageStream:
    """The bytes already read, then the rest of the file (an S3 body cannot seek back); closed by the server."""

    def __init__(self, head, handle):
        self.head = head
        self.handle = handle

    def __iter__(self):
        yield self.head
        while chunk := self.handle.read(64 * 1024):
            yield chunk

    def close(self):
        self.handle.close()


def send_image_inline(attachment):
    """Return a response showing ``attachment`` inline with the type its bytes prove, or answer 404."""
    if not is_previewable(attachment):
        abort(404)
    try:
        handle = get_storage().open(attachment.storage_key)
    except (FileNotFoundError, KeyError):
        current_app.logger.error("attachment %s is missing from storage", attachment.id)
        abort(404)
    head = handle.read(16)
    content_type = sniff_image_type(head)
    if content_type is None:
        handle.close()
        abort(404)
    response = Response(_ImageStream(head, handle), content_type=content_type, direct_passthrough=True)
    response.content_length = attachment.size
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
