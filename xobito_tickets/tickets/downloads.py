"""Serving attachments safely (SPEC §6, §13)."""

from urllib.parse import quote

from flask import Response, abort, current_app
from werkzeug.wsgi import wrap_file

from .storage import get_storage
from .uploads import clean_filename


def content_disposition(filename):
    """Return an ``attachment`` Content-Disposition with an ASCII fallback and RFC 6266 ``filename*``."""
    name = clean_filename(filename)
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in name) or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_attachment(attachment):
    """Return a response that downloads ``attachment``, never rendering it inline."""
    try:
        handle = get_storage().open(attachment.storage_key)
    except (FileNotFoundError, KeyError):
        current_app.logger.error("attachment %s is missing from storage", attachment.id)
        abort(404)
    from flask import request

    response = Response(
        wrap_file(request.environ, handle),
        mimetype=None,
        content_type=attachment.content_type,
        direct_passthrough=True,
    )
    response.content_length = attachment.size
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
